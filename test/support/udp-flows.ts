// UDP clients that keep their source port, the way a DNS resolver or a game client does, so
// each probe of a series is the same flow to conntrack; and the namespace's conntrack table as
// the kernel prints it (/proc/net/nf_conntrack, read from inside the namespace).

import { nsExec, type Netns } from './netns.js';

export interface FixedFlow {
  host: string;
  port: number;
  /** The client's own port, the same for every probe of the flow. */
  sourcePort: number;
}

// Binds the source port, sends one datagram, prints the first answer or TIMEOUT.
const client = `
const [host, port, sourcePort, timeoutMs] = process.argv.slice(1);
const socket = require('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
const done = (text) => { process.stdout.write(text); socket.close(); };
const timer = setTimeout(() => done('TIMEOUT'), Number(timeoutMs));
socket.on('message', (m) => { clearTimeout(timer); done(String(m)); });
socket.on('error', (e) => { clearTimeout(timer); done(e.code); });
socket.bind(Number(sourcePort), () => socket.send('ping', Number(port), host));
`;

/** What one datagram of the flow gets back from `ns`: the server's answer, or TIMEOUT. */
export async function udpProbe(ns: Netns, flow: FixedFlow, timeoutMs = 2000): Promise<string> {
  const args = ['-e', client, flow.host, String(flow.port), String(flow.sourcePort), String(timeoutMs)];
  const { stdout } = await nsExec(ns, process.execPath, args, { timeout: timeoutMs + 20_000 });
  return stdout;
}

/** The conntrack entries of `ns`, one line each as /proc/net/nf_conntrack shows them. */
async function conntrackEntries(ns: Netns): Promise<string[]> {
  const { stdout } = await nsExec(ns, 'cat', ['/proc/net/nf_conntrack']);
  return stdout.split('\n').filter(Boolean);
}

/** The UDP entries of `ns` whose original destination port is `port`. */
export async function udpEntriesTo(ns: Netns, port: number): Promise<string[]> {
  return (await conntrackEntries(ns)).filter(
    (line) => / udp /.test(line) && line.split(/\s+/).find((f) => f.startsWith('dport=')) === `dport=${port}`,
  );
}
