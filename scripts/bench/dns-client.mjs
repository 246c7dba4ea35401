// The client of the name-server bench (dns.mjs), run inside a namespace of the bench: it asks
// each target one A question over UDP, one query at a time, and times every answer.
//
//   node scripts/bench/dns-client.mjs < config.json > samples.json
//   config: {targets: [{key, address, port, name, expect}], rounds, perRound, warmup, timeoutMs, readyMs}
//   output: {samples: {<key>: [[ms, …] per round]}, lost: {<key>: n}}
//
// First it waits (bounded by readyMs) until every target answers its question with `expect`
// among the A records (a full decode, once), then sends `warmup` queries to each, then
// `rounds` rounds: every target gets `perRound` queries in a row, in the listed order on even
// rounds and reversed on odd ones, as the bench's other comparisons alternate.
//
// What a figure includes: from just before send() on a connected socket to the 'message'
// event of the answer with the query's id: the kernel's UDP path both ways (veth included),
// the server's work, and this client's event loop turn. The query is encoded once per target;
// each send only writes a new id, and an answer is checked by its header (id, rcode, answer
// count), so the client's own share stays a few microseconds.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

const ANSWER_FLAG = 0x8000;

function fail(message) {
  process.stderr.write(`dns-client: ${message}\n`);
  process.exit(1);
}

async function readStdin() {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}

/** A connected socket for one target, with its pre-encoded query and a one-at-a-time ask(). */
async function openTarget(target) {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(target.port, target.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const query = dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name: target.name }],
  });
  let id = Math.floor(Math.random() * 0x10000);
  let pending;
  socket.on('message', (message) => {
    if (pending && message.length >= 12 && message.readUInt16BE(0) === pending.id && message.readUInt16BE(2) & ANSWER_FLAG) {
      const done = pending;
      pending = undefined;
      clearTimeout(done.timer);
      done.resolve({ at: process.hrtime.bigint(), message });
    }
  });
  socket.on('error', () => undefined); // ICMP port unreachable while a server starts: the query times out
  /** One query; resolves to {ms, message} or undefined when no answer came within timeoutMs. */
  const ask = (timeoutMs) =>
    new Promise((resolve) => {
      id = (id + 1) & 0xffff;
      query.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        pending = undefined;
        resolve(undefined);
      }, timeoutMs);
      const started = process.hrtime.bigint();
      pending = { id, timer, resolve: ({ at, message }) => resolve({ ms: Number(at - started) / 1e6, message }) };
      socket.send(query);
    });
  return { ...target, socket, ask };
}

/** NOERROR with at least one answer record: what every measured query must get. */
function answered(message) {
  return (message.readUInt8(3) & 0x0f) === 0 && message.readUInt16BE(6) > 0;
}

async function waitReady(target, readyMs) {
  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline) {
    const reply = await target.ask(200);
    if (reply) {
      const packet = dnsPacket.decode(reply.message);
      const addresses = (packet.answers ?? []).filter((a) => a.type === 'A').map((a) => a.data);
      if (packet.rcode === 'NOERROR' && addresses.includes(target.expect)) return;
      fail(`${target.key}: ${target.name} answered ${packet.rcode} ${JSON.stringify(addresses)}, not ${target.expect}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  fail(`${target.key}: no answer from ${target.address}:${target.port} within ${readyMs} ms`);
}

async function main() {
  const config = await readStdin();
  const targets = [];
  for (const target of config.targets) targets.push(await openTarget(target));
  for (const target of targets) await waitReady(target, config.readyMs);
  const samples = Object.fromEntries(targets.map((t) => [t.key, []]));
  const lost = Object.fromEntries(targets.map((t) => [t.key, 0]));
  const run = async (target, count, into) => {
    for (let i = 0; i < count; i++) {
      const reply = await target.ask(config.timeoutMs);
      if (reply === undefined) lost[target.key] += 1;
      else if (!answered(reply.message))
        fail(`${target.key}: ${target.name} answered without an address (rcode ${reply.message.readUInt8(3) & 0x0f})`);
      else into?.push(reply.ms);
    }
  };
  for (let i = 0; i < config.warmup; i += 10) for (const target of targets) await run(target, Math.min(10, config.warmup - i));
  for (const target of targets) lost[target.key] = 0;
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const into = [];
      await run(target, config.perRound, into);
      samples[target.key].push(into);
    }
  }
  for (const target of targets) target.socket.close();
  process.stdout.write(`${JSON.stringify({ samples, lost })}\n`);
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
