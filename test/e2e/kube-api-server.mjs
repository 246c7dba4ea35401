// A stand-in for the Kubernetes API server, for test/e2e/kube-node-setup.test.ts: HTTPS on
// 127.0.0.1 of the namespace it is started in, with the certificate the test made.
// GET /api/v1/nodes/<name> answers <nodesDir>/<name>.json, or 404 with a Status as the API
// server does; a request without `Authorization: Bearer <token>` gets 401. Every request is
// logged to <log> as one JSON line. Prints {"port": N} on stdout once it listens.
// Usage: node kube-api-server.mjs CONFIG.json   ({cert, key, token, nodesDir, log})
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function status(code, reason, message) {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
}

const server = createServer({ cert: readFileSync(config.cert), key: readFileSync(config.key) }, (req, res) => {
  const authorization = req.headers.authorization ?? null;
  appendFileSync(config.log, `${JSON.stringify({ method: req.method, url: req.url, authorization })}\n`);
  const send = (code, body) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(body);
  };
  if (authorization !== `Bearer ${config.token}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
  const match = /^\/api\/v1\/nodes\/([a-z0-9.-]+)$/.exec(req.url ?? '');
  if (req.method !== 'GET' || !match) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  let body;
  try {
    body = readFileSync(join(config.nodesDir, `${match[1]}.json`), 'utf8');
  } catch {
    return send(404, status(404, 'NotFound', `nodes "${match[1]}" not found`));
  }
  return send(200, body);
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
