// The throughput baseline: the least a Node HTTP server can do to answer the same JSON as callctl's /status.
import {createServer} from 'node:http'

const body = process.env.BARE_BODY ?? '{}'
const server = createServer((req, res) => {
  res.writeHead(200, {'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body)})
  res.end(body)
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
