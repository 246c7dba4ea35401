// An upstream resolver for tests of forwarding: a stub run with node inside a namespace, on UDP
// and TCP port 53 of one address, answering the A records it is given (NXDOMAIN for any other
// question) and telling the test every question it got, so a test can tell an answer that came
// through the stub from one that did not reach it. Stopped with its sandbox.
import type { Netns, Sandbox } from './netns.js';
import { repoRoot } from './paths.js';

const STUB = `
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
import net from 'node:net';
const dnsPacket = createRequire(${JSON.stringify(`${repoRoot}/package.json`)})('dns-packet');
const [address, records] = [process.argv[1], JSON.parse(process.argv[2])];
function answer(bytes) {
  const query = dnsPacket.decode(bytes);
  const question = query.questions[0];
  console.log(JSON.stringify({ name: question.name, type: question.type }));
  const data = question.type === 'A' ? records[question.name.toLowerCase()] : undefined;
  return dnsPacket.encode({
    type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE | (data ? 0 : 3), questions: query.questions,
    answers: data ? [{ type: 'A', name: question.name, ttl: 60, data }] : [],
  });
}
const udp = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
udp.on('message', (m, r) => udp.send(answer(m), r.port, r.address));
const tcp = net.createServer((c) => {
  let got = Buffer.alloc(0);
  c.on('data', (chunk) => {
    got = Buffer.concat([got, chunk]);
    if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
      const response = answer(got.subarray(2, 2 + got.readUInt16BE(0)));
      const length = Buffer.alloc(2); length.writeUInt16BE(response.length);
      c.end(Buffer.concat([length, response]));
    }
  });
});
udp.bind(53, address, () => tcp.listen(53, address, () => console.log('listening')));
`;

export interface DnsStub {
  /** The questions the stub got so far, in order. */
  questions(): { name: string; type: string }[];
}

/** Start the stub in `ns` on `address` port 53, answering `records` (name → IPv4 address); resolves once it listens. */
export async function startDnsStub(sandbox: Sandbox, ns: Netns, address: string, records: Record<string, string>): Promise<DnsStub> {
  const stub = sandbox.spawn(ns, process.execPath, ['--input-type=module', '-e', STUB, address, JSON.stringify(records)]);
  const lines: string[] = [];
  let pending = '';
  await new Promise<void>((resolve, reject) => {
    stub.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) {
        if (line === 'listening') resolve();
        else lines.push(line);
      }
    });
    stub.once('exit', () => reject(new Error(`the DNS stub in ${ns.name} exited before it listened on ${address}`)));
  });
  return { questions: () => lines.map((line) => JSON.parse(line) as { name: string; type: string }) };
}
