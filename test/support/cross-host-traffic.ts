// Traffic between members of a zone that spans hosts (zone-vxlan*, one per backend): a server
// that takes whatever a client sends, answers with its SHA-256 and then 256 KiB of its own, and
// echoes UDP; a client that sends 256 KiB, checks both digests and pings the UDP echo. 256 KiB
// in full-MTU segments is what shows a VXLAN MTU that does not fit the underlay: small packets
// cross, large ones vanish. Also the flood entries of a VXLAN port, as `bridge fdb` shows them.
import { createHash } from 'node:crypto';
import { type Netns, nsExec, type Sandbox } from './netns.js';

export const KIB256 = 256 * 1024;
export const EXCHANGE_TCP_PORT = 7000;
const EXCHANGE_UDP_PORT = 7001;

const server = `
const net = require('node:net'), dgram = require('node:dgram'), crypto = require('node:crypto');
const payload = Buffer.alloc(${KIB256}, 0).map((_, i) => (i * 7 + 3) & 255);
net.createServer((s) => { const h = crypto.createHash('sha256');
  s.on('data', (d) => h.update(d)); s.on('end', () => { s.write(h.digest('hex') + '\\n'); s.end(payload); }); })
  .listen(${EXCHANGE_TCP_PORT}, '::', () => { const u = dgram.createSocket('udp6');
    u.on('message', (m, r) => u.send(Buffer.concat([Buffer.from('echo '), m]), r.port, r.address));
    u.bind(${EXCHANGE_UDP_PORT}, '::', () => console.log('ready')); });`;

const client = `
const net = require('node:net'), dgram = require('node:dgram'), crypto = require('node:crypto');
const [host] = process.argv.slice(1);
const payload = Buffer.alloc(${KIB256}, 0).map((_, i) => (i * 13 + 5) & 255);
const out = {};
const s = net.connect({ host, port: ${EXCHANGE_TCP_PORT}, timeout: 10000 }, () => s.end(payload));
const chunks = []; s.on('data', (d) => chunks.push(d));
s.on('timeout', () => { console.log(JSON.stringify({ error: 'tcp timeout' })); process.exit(2); });
s.on('end', () => { const all = Buffer.concat(chunks); const nl = all.indexOf(10);
  out.theyGot = all.subarray(0, nl).toString(); out.weGot = crypto.createHash('sha256').update(all.subarray(nl + 1)).digest('hex');
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const t = setTimeout(() => { out.udp = 'timeout'; console.log(JSON.stringify(out)); process.exit(0); }, 3000);
  u.on('message', (m) => { clearTimeout(t); out.udp = m.toString(); console.log(JSON.stringify(out)); process.exit(0); });
  u.send('ping', ${EXCHANGE_UDP_PORT}, host); });`;

const sha256OfPattern = (times: number, plus: number) =>
  createHash('sha256')
    .update(Uint8Array.from({ length: KIB256 }, (_, i) => (i * times + plus) & 255))
    .digest('hex');

/** The SHA-256 of the 256 KiB the server sends after its digest line. */
export const SERVER_PAYLOAD_SHA256 = sha256OfPattern(7, 3);
const clientPayload = sha256OfPattern(13, 5);
/** What `exchange` returns when everything crossed intact both ways. */
export const EXCHANGED = { theyGot: clientPayload, weGot: SERVER_PAYLOAD_SHA256, udp: 'echo ping' };

/** The exchange server in `ns` (TCP EXCHANGE_TCP_PORT, UDP echo), stopped with `sandbox`; returns once it listens. */
export async function startExchangeServer(sandbox: Sandbox, ns: Netns): Promise<void> {
  const child = sandbox.spawn(ns, process.execPath, ['-e', server]);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    void child.then(() => reject(new Error(`exchange server in ${ns.name} exited`)));
  });
}

/** 256 KiB each way over TCP and a UDP echo, from `from` to the server at `address`: EXCHANGED when all crossed. */
export async function exchange(from: Netns, address: string): Promise<unknown> {
  const run = await nsExec(from, process.execPath, ['-e', client, address], { timeout: 20_000, reject: false });
  try {
    return JSON.parse(run.stdout);
  } catch {
    return { error: `${run.stdout}${run.stderr}`.trim() };
  }
}

export async function pings(from: Netns, address: string): Promise<boolean> {
  return (await nsExec(from, 'busybox', ['ping', '-c', '1', '-W', '2', address], { reject: false })).exitCode === 0;
}

/** The peers `port` floods to: the destinations of its all-zeros entries, sorted. */
export async function floodPeers(ns: Netns, port: string): Promise<string[]> {
  return (await nsExec(ns, 'bridge', ['fdb', 'show', 'dev', port])).stdout
    .split('\n')
    .filter((line) => line.startsWith('00:00:00:00:00:00'))
    .map((line) => line.split(' ')[2] ?? '')
    .sort();
}
