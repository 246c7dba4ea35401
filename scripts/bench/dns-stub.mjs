// The upstream resolver of the name-server bench (dns.mjs): the smallest DNS server that
// answers, so a forwarded query measures the forwarder's hop and not a real resolver's work.
// Every A question gets ANSWER (TTL 0: nothing to cache), any other question an empty
// NOERROR, each answer sent back as soon as its query is decoded.
//
//   node scripts/bench/dns-stub.mjs ADDRESS PORT ANSWER
//
// UDP only. Prints `ready` on stdout once bound; exits on SIGTERM, or when its stdin closes
// (the bench that started it is gone).
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

const [address, portText, answer] = process.argv.slice(2);
const port = Number(portText);
if (!address || !Number.isInteger(port) || !answer) {
  process.stderr.write('usage: dns-stub.mjs ADDRESS PORT ANSWER\n');
  process.exit(2);
}

const socket = dgram.createSocket('udp4');
socket.on('message', (message, peer) => {
  let query;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return;
  }
  const question = query.questions?.[0];
  const answers = question?.type === 'A' ? [{ type: 'A', name: question.name, ttl: 0, data: answer }] : [];
  const response = dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: query.questions,
    answers,
  });
  socket.send(response, peer.port, peer.address);
});
socket.on('error', (e) => {
  process.stderr.write(`dns-stub: ${e.message}\n`);
  process.exit(1);
});
socket.bind(port, address, () => process.stdout.write('ready\n'));

const stop = () => socket.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
