// POST /conversations/:conversation/messages on Fastify, as its documentation teaches: a JSON
// schema per route, validated by Fastify's own Ajv with its defaults (coerceTypes, removeAdditional).
// MODE=ms-dates is a bug of this stack: Date.now() is milliseconds. MODE=per-worker-state runs it as Node's
// cluster module teaches for using every core: four worker processes sharing the port, each with its own Map.
'use strict'
const cluster = require('node:cluster')

if (process.env.MODE === 'per-worker-state' && cluster.isPrimary) {
  for (let n = 0; n < 4; n++) cluster.fork()
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers)) worker.kill()
    process.exit(0)
  })
} else {
  serve()
}

function serve () {
  const fastify = require('fastify')()

  const messages = new Map()
  let nextId = 1
  const author = { id: 1, name: 'John Doe' }

  fastify.post('/conversations/:conversation/messages', {
    schema: {
      params: {
        type: 'object',
        properties: { conversation: { type: 'integer' } },
        required: ['conversation']
      },
      body: {
        type: 'object',
        required: ['message'],
        properties: {
          message: { type: 'string' },
          parent_id: { type: ['integer', 'null'] }
        }
      }
    }
  }, async (request, reply) => {
    const conversation = request.params.conversation
    const { message, parent_id: parentId } = request.body
    let parent = null
    if (parentId !== undefined && parentId !== null) {
      parent = messages.get(parentId)
      if (!parent) return reply.code(404).send({ error: 'parent not found' })
      if (parent.conversationId !== conversation) return reply.code(409).send({ error: 'parent in another conversation' })
    }
    const now = process.env.MODE === 'ms-dates' ? Date.now() : Math.floor(Date.now() / 1000)
    const created = {
      id: nextId++,
      type: 'text',
      conversationId: conversation,
      is_reply: parent !== null,
      parent: parent && { id: parent.id, message: parent.message },
      deleted: false,
      message,
      date: now,
      edited_at: null,
      reactions: [],
      author,
      files: [],
      voice: null
    }
    messages.set(created.id, created)
    return reply.code(201).send(created)
  })

  fastify.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' }).then(() => {
    console.log(`PORT ${fastify.server.address().port}`)
  })
}
