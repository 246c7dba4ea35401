// Request/response latency over TCP for the multi-host zone bench (vxlan.mjs): one byte there,
// one byte back, one exchange at a time on one connection (TCP_NODELAY on both ends), so each
// round trip is the path's latency both ways plus what the two Node processes take to wake,
// read and write (the same on every path).
//
//   node scripts/bench/pingpong.mjs serve PORT
//     echoes every byte it reads; prints `ready` on stdout once listening; exits on SIGTERM or
//     when its stdin closes (the bench that started it is gone).
//   node scripts/bench/pingpong.mjs ask ADDRESS PORT COUNT WARMUP
//     WARMUP round trips unrecorded, then COUNT, each timed; prints {"rttsUs": [...]} and exits 0,
//     or exits 1 with the reason on stderr (refused, reset, or no end within DEADLINE_MS).
import net from 'node:net';

const DEADLINE_MS = 20_000;

function fail(message) {
  process.stderr.write(`pingpong: ${message}\n`);
  process.exit(1);
}

function serve(port) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => socket.write(data));
    socket.on('error', () => socket.destroy());
  });
  server.on('error', (e) => fail(e.message));
  server.listen(port, '::', () => process.stdout.write('ready\n'));
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

function ask(host, port, count, warmup) {
  const deadline = setTimeout(() => fail(`no end within ${DEADLINE_MS} ms`), DEADLINE_MS);
  const rttsUs = [];
  const byte = Buffer.from([0x2a]);
  let sent = 0n;
  let trips = 0;
  const socket = net.connect({ host, port }, () => {
    socket.setNoDelay(true);
    sent = process.hrtime.bigint();
    socket.write(byte);
  });
  socket.on('error', (e) => fail(e.message));
  socket.on('data', (data) => {
    // One byte is in flight at a time, so a read holds that one byte.
    if (data.length !== 1) fail(`read ${data.length} bytes, expected 1`);
    const now = process.hrtime.bigint();
    if (trips >= warmup) rttsUs.push(Number(now - sent) / 1000);
    trips += 1;
    if (trips === warmup + count) {
      clearTimeout(deadline);
      socket.destroy();
      process.stdout.write(`${JSON.stringify({ rttsUs })}\n`);
      return;
    }
    sent = process.hrtime.bigint();
    socket.write(byte);
  });
}

const [mode, ...args] = process.argv.slice(2);
const integer = (text) => (/^\d+$/.test(text ?? '') ? Number(text) : NaN);
if (mode === 'serve' && Number.isInteger(integer(args[0]))) serve(integer(args[0]));
else if (mode === 'ask' && args[0] && [1, 2, 3].every((i) => Number.isInteger(integer(args[i]))))
  ask(args[0], integer(args[1]), integer(args[2]), integer(args[3]));
else fail('usage: pingpong.mjs serve PORT | ask ADDRESS PORT COUNT WARMUP');
