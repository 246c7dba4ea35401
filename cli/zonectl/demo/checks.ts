// Network probes the demo makes from the sandbox's host namespace (where it runs): wait until
// a TCP port answers, and fetch a page over HTTP. Node's own sockets: nothing to install.
import { request } from 'node:http';
import { connect } from 'node:net';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tryConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Resolves once `host:port` accepts a connection; rejects after `timeoutMs`. */
export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await tryConnect(host, port, 500))) {
    if (performance.now() > deadline) throw new Error(`nothing answers on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** GET `url`; resolves with the body of a 200 answer. */
export function httpGet(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`${url} answered ${res.statusCode}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`${url}: ${e.message}`)));
    req.end();
  });
}
