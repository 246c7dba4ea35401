// 8. A zone across two hosts over VXLAN (lib/zone's `vxlan` port): TCP throughput and
// request/response latency between two members on one host (one bridge), between members on
// two hosts (over the zone's VXLAN port), and between the two hosts themselves over their
// underlay without VXLAN, the baseline.
//
// The "hosts" are two namespaces of ours joined by a veth pair `under0` (192.0.2.1/24 and
// 192.0.2.2/24, MTU 1500): an idealised underlay on one kernel, with no wire, no NIC, no loss and
// both ends on the same CPUs, so the figures show what the zone's path costs beside that bare
// underlay, not what a network between machines would carry. On each host the compiled zone
// plugin (netlink backend; isolation, masquerade and the name server on, the name server's
// state in the bench's temporary directory) joins members to one zone with `vxlan: {vni, local,
// peers}` and the host's own range and gateway in the zone's one subnet, as
// docs/configuration.md tells every host of a zone to: a1 and a2 on host 1, b1 on host 2.
//
// Paths: same host a1 → a2, cross host a1 → b1, underlay host 1 → host 2. Each round measures
// every path in turn, the order reversed every other round: a throughput run (Debian's iperf3,
// one TCP stream of a fixed size, the rate its receiver saw) and a latency run (pingpong.mjs:
// one byte each way, one exchange at a time, round trips timed after a warm-up). Ratios are
// medians of per-round ratios; latency median and p99 over every round trip of every round.
// At most 10 rounds (a short warm-up run of each path first); that the cross-host bytes left
// host 1 through the VXLAN port is checked by its counters.
import { spawnSync } from 'node:child_process';
import { cpus as cpuList } from 'node:os';
import {
  BenchError,
  baseEnv,
  createNetns,
  hasCommand,
  inNs,
  interleave,
  measure,
  median,
  notePeak,
  nsenterArgs,
  p99,
  pairedRatio,
  progress,
  ROOT,
  ratio,
  say,
  sh,
  sleep,
  startServer,
  table,
  tempDir,
} from './core.mjs';
import { cniEnv, FORMS, formBlocker, REFERENCE, zoneConf } from './plugins.mjs';

const ZONE = 'benchvx';
const SUBNET = '10.97.0.0/24';
const VNI = 4242;
const UNDERLAY = { one: '192.0.2.1', two: '192.0.2.2' };
const UNDERLAY_PREFIX = 24;
/** Host `n`'s own range and gateway in the zone's subnet, as every host of a zone has. */
const RANGE = {
  one: { rangeStart: '10.97.0.10', rangeEnd: '10.97.0.99', gateway: '10.97.0.1' },
  two: { rangeStart: '10.97.0.110', rangeEnd: '10.97.0.199', gateway: '10.97.0.101' },
};
const IPERF_PORT = 5201;
const PINGPONG_PORT = 7000;
const TRANSFER_MIB = { full: 128, quick: 64 };
const ROUND_TRIPS = { full: 1000, quick: 500 };
const WARMUP_TRIPS = 200;
// Rounds at most (--runs may ask fewer): the section stays within about half a minute.
const MAX_ROUNDS = 10;
// The warm-up run of each path: ARP answered, the forwarding entries learnt, TCP's caches filled.
const WARMUP_RUN = { mib: 8, count: 100 };
const RUN_TIMEOUT_MS = 60_000;
const READY_MS = 10_000;
// iperf3's server takes a moment after one test before it accepts the next.
const BUSY_RETRIES = 10;
const BUSY_WAIT_MS = 100;

const gbits = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const us = (v) => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');

/** Runs `step`s newest first, each once; returns what went wrong. */
async function undoAll(steps) {
  const problems = [];
  while (steps.length > 0) {
    try {
      await steps.pop()();
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  return problems;
}

/** The MTU of `dev` in `ns`, as the kernel has it. */
function mtuOf(ns, dev) {
  return JSON.parse(inNs(ns, 'ip', ['-j', 'link', 'show', dev]))[0]?.mtu;
}

/** Bytes `dev` in `ns` has sent, by the kernel's counters. */
function sentBytes(ns, dev) {
  return JSON.parse(inNs(ns, 'ip', ['-s', '-j', 'link', 'show', dev]))[0]?.stats64?.tx?.bytes ?? 0;
}

/** Two host namespaces joined by the veth underlay, each end addressed and up. */
function underlay(undo) {
  const one = createNetns('vxhost1');
  undo.push(() => one.remove());
  const two = createNetns('vxhost2');
  undo.push(() => two.remove());
  inNs(one, 'ip', ['link', 'add', 'under0', 'type', 'veth', 'peer', 'name', 'under0', 'netns', two.name]);
  for (const [ns, address] of [
    [one, UNDERLAY.one],
    [two, UNDERLAY.two],
  ]) {
    inNs(ns, 'ip', ['address', 'add', `${address}/${UNDERLAY_PREFIX}`, 'dev', 'under0']);
    inNs(ns, 'ip', ['link', 'set', 'under0', 'up']);
  }
  return { one, two };
}

/** Host `key`'s conf of the zone: its range and gateway, its VXLAN port towards the other host. */
function hostConf(key, dataDir) {
  const other = key === 'one' ? 'two' : 'one';
  return zoneConf({
    network: ZONE,
    subnet: SUBNET,
    dataDir,
    range: RANGE[key],
    extra: { vxlan: { vni: VNI, local: UNDERLAY[key], peers: [UNDERLAY[other]] } },
  });
}

/** A container joining the zone on `host` through the compiled zone plugin; leave() is its DEL. */
function join({ name, host, conf, undo }) {
  const compiled = FORMS[0];
  const ct = createNetns(name);
  undo.push(() => ct.remove());
  const stdin = JSON.stringify(conf);
  const env = (command) => cniEnv(command, { containerId: `bench-vx-${name}`, netns: ct.path, path: `${compiled.dir}:${REFERENCE.dir}` });
  const peak = { what: 'zone', form: compiled.form, where: 'zone + zone-ipam with a VXLAN port, multi-host section' };
  const add = measure({ label: `zone ADD of ${name}`, argv: [`${compiled.dir}/zone`], env: env('ADD'), stdin, ns: host });
  notePeak({ ...peak, where: `${peak.where} ADD` }, add);
  undo.push(() => {
    const del = measure({ label: `zone DEL of ${name}`, argv: [`${compiled.dir}/zone`], env: env('DEL'), stdin, ns: host });
    notePeak({ ...peak, where: `${peak.where} DEL` }, del);
  });
  const address = JSON.parse(add.stdout).ips?.[0]?.address?.split('/')[0];
  if (!address) throw new BenchError(`zone ADD of ${name} returned no address: ${add.stdout.trim()}`);
  return { ns: ct, address };
}

/** iperf3's and pingpong.mjs's servers in `ns`, until the bench's undo steps stop them. */
async function servers(ns, withIperf, undo) {
  const started = [
    startServer(
      `pingpong server in ${ns.name}`,
      [process.execPath, `${ROOT}/scripts/bench/pingpong.mjs`, 'serve', String(PINGPONG_PORT)],
      ns,
    ),
  ];
  if (withIperf)
    started.push(startServer(`iperf3 server in ${ns.name}`, ['iperf3', '--server', '--port', String(IPERF_PORT), '--forceflush'], ns));
  for (const server of started) undo.push(() => server.stop());
  await started[0].waitFor('ready', READY_MS);
  if (withIperf) await started[1].waitFor(/Server listening on/, READY_MS);
}

/** One iperf3 stream of `mib` MiB from `ns` to `address`: the receiver's rate and bytes, the sender's retransmits. */
async function throughput(ns, address, mib) {
  const argv = [
    ...nsenterArgs(ns),
    'iperf3',
    '--client',
    address,
    '--port',
    String(IPERF_PORT),
    '--bytes',
    `${mib}M`,
    '--json',
    '--connect-timeout',
    '3000',
  ];
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync(argv[0], argv.slice(1), { env: baseEnv, encoding: 'utf8', timeout: RUN_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let report;
    try {
      // On failure too iperf3 prints its JSON report, with `error`.
      report = JSON.parse(r.stdout);
    } catch {
      throw new BenchError(
        `iperf3 to ${address}: exit ${r.status ?? r.signal ?? r.error?.code}: ${`${r.stdout}${r.stderr}`.trim().slice(0, 2000)}`,
      );
    }
    if (report.error && /busy/i.test(report.error) && attempt < BUSY_RETRIES) {
      await sleep(BUSY_WAIT_MS);
      continue;
    }
    if (report.error || r.status !== 0) throw new BenchError(`iperf3 to ${address}: ${report.error ?? `exit ${r.status}`}`);
    const { sum_received: received, sum_sent: sent } = report.end;
    return { gbits: received.bits_per_second / 1e9, bytes: received.bytes, retransmits: sent.retransmits ?? 0 };
  }
}

/** COUNT timed 1-byte round trips from `ns` to `address` (after the warm-up), in µs. */
function roundTrips(ns, address, count) {
  const argv = [`${ROOT}/scripts/bench/pingpong.mjs`, 'ask', address, String(PINGPONG_PORT), String(count), String(WARMUP_TRIPS)];
  return JSON.parse(inNs(ns, process.execPath, argv, { timeout: RUN_TIMEOUT_MS })).rttsUs;
}

export async function vxlanSection(ctx) {
  say('## 8. A zone across two hosts over VXLAN: throughput and latency\n');
  say(
    `> The two hosts are network namespaces on one kernel joined by a veth pair: an **idealised underlay** (no wire, no NIC, no loss, both ends on the same ${cpuList().length} CPUs).` +
      ' The rows compare the zone’s paths with that bare underlay; a real network between machines adds its own latency and limits its own rate.\n',
  );
  const blocker = formBlocker(FORMS[0], ['zone']);
  if (blocker) throw new BenchError(blocker);
  const withIperf = hasCommand('iperf3');
  if (!withIperf) ctx.fail('multi-host zone throughput: iperf3 missing (scripts/install-system-deps.sh installs it)');
  const mib = ctx.quick ? TRANSFER_MIB.quick : TRANSFER_MIB.full;
  const count = ctx.quick ? ROUND_TRIPS.quick : ROUND_TRIPS.full;
  const rounds = Math.min(ctx.runs, MAX_ROUNDS);
  const dir = tempDir('vxlan');
  const undo = [() => dir.remove()];
  let samples;
  let mtus;
  try {
    progress('vxlan: two hosts, the zone on each, a1 and a2 on host 1, b1 on host 2');
    const hosts = underlay(undo);
    const confs = { one: hostConf('one', `${dir.path}/one`), two: hostConf('two', `${dir.path}/two`) };
    const a1 = join({ name: 'a1', host: hosts.one, conf: confs.one, undo });
    const a2 = join({ name: 'a2', host: hosts.one, conf: confs.one, undo });
    const b1 = join({ name: 'b1', host: hosts.two, conf: confs.two, undo });
    mtus = { zone: mtuOf(a1.ns, 'eth0'), vxlan: mtuOf(hosts.one, `vx-${ZONE}`), underlay: mtuOf(hosts.one, 'under0') };
    for (const ns of [a2.ns, b1.ns, hosts.two]) await servers(ns, withIperf, undo);

    const paths = [
      { key: 'same', from: a1.ns, to: a2.address },
      { key: 'cross', from: a1.ns, to: b1.address },
      { key: 'underlay', from: hosts.one, to: UNDERLAY.two },
    ];
    const run = (path, size, trips) => async () => ({
      tput: withIperf ? await throughput(path.from, path.to, size) : undefined,
      rtts: roundTrips(path.from, path.to, trips),
    });
    progress('vxlan: warm-up (ARP and the VXLAN forwarding entries learnt)');
    for (const path of paths) await run(path, WARMUP_RUN.mib, WARMUP_RUN.count)();
    progress(`vxlan: ${rounds} rounds of ${withIperf ? `${mib} MiB through iperf3 and ` : ''}${count} round trips per path`);
    const vxlanPort = `vx-${ZONE}`;
    const before = sentBytes(hosts.one, vxlanPort);
    samples = await interleave(
      rounds,
      paths.map((path) => ({ key: path.key, run: run(path, mib, count) })),
    );
    // The cross-host rows are what they say only if their bytes went out through the VXLAN port.
    const sent = sentBytes(hosts.one, vxlanPort) - before;
    const received = withIperf ? samples.cross.reduce((sum, s) => sum + s.tput.bytes, 0) : 0;
    if (sent < received) throw new BenchError(`${vxlanPort} sent ${sent} bytes during the rounds, fewer than b1 received (${received})`);
  } catch (e) {
    await undoAll(undo);
    throw e;
  }
  const problems = await undoAll(undo);
  if (problems.length > 0) throw new BenchError(`removing the two hosts: ${problems.join('; ')}`);
  report(samples, { rounds, mtus, mib, count, withIperf });
}

function report(samples, { rounds, mtus, mib, count, withIperf }) {
  const label = {
    same: ['same host', 'a1 → a2, one bridge', mtus.zone],
    cross: ['cross host', `a1 → b1, over vx-${ZONE}`, mtus.zone],
    underlay: ['underlay', 'host 1 → host 2, veth, no VXLAN', mtus.underlay],
  };
  const keys = ['same', 'cross', 'underlay'];
  if (withIperf) {
    const rate = (key) => samples[key].map((s) => s.tput.gbits);
    const rows = keys.map((key) => [
      ...label[key],
      gbits(median(rate(key))),
      gbits(Math.min(...rate(key))),
      String(samples[key].reduce((sum, s) => sum + s.tput.retransmits, 0)),
      ratio(pairedRatio(rate(key), rate('same'))),
      ratio(pairedRatio(rate(key), rate('underlay'))),
    ]);
    say(
      table(
        ['path', 'between', '>MTU', '>median Gbit/s', '>slowest Gbit/s', '>retransmits, all rounds', '>× same host', '>× underlay'],
        rows,
      ),
    );
    say('');
  }
  const medians = (key) => samples[key].map((s) => median(s.rtts));
  const all = (key) => samples[key].flatMap((s) => s.rtts);
  const rows = keys.map((key) => [
    ...label[key],
    us(median(all(key))),
    us(p99(all(key))),
    ratio(pairedRatio(medians(key), medians('same'))),
    ratio(pairedRatio(medians(key), medians('underlay'))),
  ]);
  say(table(['path', 'between', '>MTU', '>round trip median µs', '>p99 µs', '>× same host', '>× underlay'], rows));
  say(
    `\n${rounds} rounds, each path once per round in turn (order reversed every other round), after a short warm-up run of each.` +
      (withIperf
        ? ` Throughput: iperf3 ${iperfVersion()}, one TCP stream of ${mib} MiB, the rate its receiver saw; retransmits as its sender counted them.`
        : '') +
      ` Latency: ${count} round trips per run on one TCP connection (1 byte each way, TCP_NODELAY, one in flight) after ${WARMUP_TRIPS} unrecorded,` +
      ' timed by a Node client against a Node echo server (scripts/bench/pingpong.mjs): the wake-up, read and write of both processes are in every row alike, so the ratios understate what the paths alone differ by.' +
      ` The zone: compiled \`zone\`, netlink backend, \`vxlan: {vni: ${VNI}, local, peers: [the other host]}\`, each host its own range and gateway in ${SUBNET};` +
      ` its links at the underlay's MTU less VXLAN's 50 (vx-${ZONE} ${mtus.vxlan}). The underlay row runs between the host namespaces themselves, the zone's nft tables in place there as on any host of the zone.` +
      ` That the cross-host bytes left host 1 through vx-${ZONE} is checked by its counters. Ratios are medians of per-round ratios (latency: of each run's median).`,
  );
}

function iperfVersion() {
  return /iperf (\S+)/.exec(sh('iperf3', ['--version']))?.[1] ?? '';
}
