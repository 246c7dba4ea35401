// DNS questions from inside a namespace, as a member of a zone asks them: one UDP query each to
// a server (the zone's name server at its gateway), answered with the rcode and the answers'
// data. Run with node in the member's namespace, dns-packet from this repository.
import { type Netns, nsExec } from './netns.js';
import { repoRoot } from './paths.js';

// Run with node in a member's namespace: one UDP query each, its rcode and answers.
const CLIENT = `
import { createRequire } from 'node:module';
import dgram from 'node:dgram';
const dnsPacket = createRequire(${JSON.stringify(`${repoRoot}/package.json`)})('dns-packet');
const results = [];
for (const q of JSON.parse(process.argv[1])) {
  const bytes = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: q.name, type: q.type }] });
  try {
    const answer = await new Promise((resolve, reject) => {
      const socket = dgram.createSocket(q.server.includes(':') ? 'udp6' : 'udp4');
      const timer = setTimeout(() => { socket.close(); reject(new Error('timeout')); }, 3000);
      socket.on('error', (e) => { clearTimeout(timer); socket.close(); reject(e); });
      socket.on('message', (m) => { clearTimeout(timer); socket.close(); resolve(m); });
      socket.send(bytes, 53, q.server);
    });
    const response = dnsPacket.decode(answer);
    results.push({ rcode: response.rcode, answers: response.answers.map((a) => a.data) });
  } catch (e) {
    results.push({ error: e.code ?? e.message });
  }
}
console.log(JSON.stringify(results));
`;

interface Query {
  server: string;
  name: string;
  type: 'A' | 'AAAA';
}

export async function ask(member: Netns | string, queries: Query[]): Promise<{ rcode?: string; answers?: string[]; error?: string }[]> {
  const { stdout } = await nsExec(member, process.execPath, ['--input-type=module', '-e', CLIENT, JSON.stringify(queries)]);
  return JSON.parse(stdout);
}
