// POST /conversations/:conversation/messages on Koa with @koa/router and @koa/bodyparser, as their
// documentation teaches, with the checks written by hand. MODE=ids-per-conversation is a bug of
// this kind of code: ids counted in each conversation's own list.
'use strict'
const Koa = require('koa')
const Router = require('@koa/router')
const { bodyParser } = require('@koa/bodyparser')

const app = new Koa()
const router = new Router()
const messages = new Map()
const perConversation = new Map()
let nextId = 1
const author = { id: 1, name: 'John Doe', first_name: 'John', last_name: 'Doe' }

router.post('/conversations/:conversation/messages', (ctx) => {
  const conversation = Number(ctx.params.conversation)
  if (!Number.isInteger(conversation)) {
    ctx.status = 404
    ctx.body = { error: 'no such conversation' }
    return
  }
  const body = ctx.request.body
  if (typeof body !== 'object' || body === null || typeof body.message !== 'string') {
    ctx.status = 400
    ctx.body = { error: 'message must be a string' }
    return
  }
  const parentId = body.parent_id
  let parent = null
  if (parentId !== undefined && parentId !== null) {
    if (!Number.isInteger(parentId)) {
      ctx.status = 400
      ctx.body = { error: 'parent_id must be an integer' }
      return
    }
    parent = messages.get(parentId)
    if (!parent || parent.conversationId !== conversation) {
      ctx.status = 404
      ctx.body = { error: 'parent not found in this conversation' }
      return
    }
  }
  const list = perConversation.get(conversation) || []
  perConversation.set(conversation, list)
  const id = process.env.MODE === 'ids-per-conversation' ? list.length + 1 : nextId++
  const created = {
    id,
    type: 'text',
    conversationId: conversation,
    is_reply: parent !== null,
    parent: parent ? parent.id : null,
    deleted: false,
    message: body.message,
    date: Math.floor(Date.now() / 1000),
    edited_at: null,
    reactions: [],
    author,
    files: [],
    voice: null
  }
  list.push(created)
  messages.set(id, created)
  ctx.status = 201
  ctx.body = created
})

app.use(bodyParser())
app.use(router.routes()).use(router.allowedMethods())

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`PORT ${server.address().port}`)
})
