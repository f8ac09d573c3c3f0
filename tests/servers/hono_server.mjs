// POST /conversations/:conversation/messages on Hono with @hono/zod-validator, as Hono's
// documentation teaches, on @hono/node-server. MODE=trimmed is a bug of this kind of code:
// z.string().trim() in the schema changes the message it stores.
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { zValidator } from '@hono/zod-validator'
import { z } from 'zod'

const text = process.env.MODE === 'trimmed' ? z.string().trim() : z.string()
const body = z.object({ message: text, parent_id: z.number().int().nullable().optional() })
const messages = new Map()
let nextId = 1

const app = new Hono()
app.post('/conversations/:conversation/messages', zValidator('json', body), (c) => {
  const conversation = Number(c.req.param('conversation'))
  if (!Number.isSafeInteger(conversation)) return c.json({ error: 'no such conversation' }, 404)
  const { message, parent_id: parentId } = c.req.valid('json')
  let parent = null
  if (parentId !== undefined && parentId !== null) {
    parent = messages.get(parentId)
    if (!parent) return c.json({ error: 'no such parent' }, 404)
    if (parent.conversationId !== conversation) return c.json({ error: 'parent in another conversation' }, 422)
  }
  const created = {
    id: nextId++,
    type: 'text',
    conversationId: conversation,
    is_reply: parent !== null,
    parent: parent && { id: parent.id, message: parent.message, author: parent.author },
    deleted: false,
    message,
    date: Math.floor(Date.now() / 1000),
    edited_at: null,
    reactions: [],
    author: { id: 7, name: 'Ada Lovelace' },
    files: [],
    voice: null
  }
  messages.set(created.id, created)
  return c.json(created, 201)
})

serve({ fetch: app.fetch, port: Number(process.env.PORT || 0), hostname: '127.0.0.1' }, (info) => {
  console.log(`PORT ${info.port}`)
})
