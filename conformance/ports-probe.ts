// Proof that a port mapping works, whatever implements it: a TCP server in the container that
// answers a token, and a client in a namespace outside the host that connects to the host's
// address and port. Both are small Node programs run with `nsenter --net=`.
import { spawn, type ChildProcess } from 'node:child_process';
import { nsenterPrefix, type Namespace } from './netns.js';
import { runOutcome } from './process.js';
import { requireExecutable } from '../lib/system/programs.js';

const SERVER = `
const [port, token] = process.argv.slice(1);
const server = require('net').createServer((c) => c.end(token + '\\n'));
server.listen(Number(port), '0.0.0.0', () => process.stdout.write('ready\\n'));
`;

const CLIENT = `
const [host, port, ms] = process.argv.slice(1);
const socket = require('net').connect({ host, port: Number(port) });
let data = '';
socket.setTimeout(Number(ms), () => { process.stderr.write('timeout'); process.exit(2); });
socket.on('data', (d) => { data += d; });
socket.on('end', () => { process.stdout.write(data); process.exit(0); });
socket.on('error', (e) => { process.stderr.write(e.code || e.message); process.exit(1); });
`;

export interface TokenServer {
  stop(): void;
}

/** A server in `ns` on `port` answering `token`; resolves once it listens. */
export function startTokenServer(ns: Namespace, port: number, token: string, timeoutMs = 10_000): Promise<TokenServer> {
  const child: ChildProcess = spawn(
    requireExecutable('nsenter'),
    [...nsenterPrefix(ns.path), process.execPath, '-e', SERVER, String(port), token],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const stop = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the token server on port ${port} did not start: ${stderr.trim()}`));
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({ stop });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the token server on port ${port} exited (${code}): ${stderr.trim()}`));
    });
  });
}

/** Connect from `ns` to host:port; resolves with what the server said, or why there was no answer. */
export async function fetchToken(
  ns: Namespace,
  host: string,
  port: number,
  timeoutMs = 3_000,
): Promise<{ token?: string; error?: string }> {
  const outcome = await runOutcome(
    requireExecutable('nsenter'),
    [...nsenterPrefix(ns.path), process.execPath, '-e', CLIENT, host, String(port), String(timeoutMs)],
    {
      timeoutMs: timeoutMs + 5_000,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS')),
    },
  );
  if (outcome.exitCode === 0) return { token: outcome.stdout.trim() };
  return { error: outcome.stderr.trim() || `exit ${outcome.exitCode}` };
}
