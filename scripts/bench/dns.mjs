// 6. The zone's name server: how long an answer takes, for a name of the zone and for a name it
// forwards, beside dnsmasq (Debian's dnsmasq-base, the server libvirt and podman's old dnsname
// plugin run) answering the same questions, in one run.
//
// Two namespaces joined by a veth: a "gateway" one where the servers listen, each on its own
// address at port 53, and a "container" one where dns-client.mjs asks them, one query at a time.
// In the gateway namespace: `zone-dns`, compiled and as a Node bundle, started as lib/dns/main.ts
// documents (--zone, --listen, --port, --state-dir, --subnet, --upstream), its names store
// written through lib/dns/names.ts (probe.ts `names`, NAMES members, the queried name one of
// them); dnsmasq answering the same names from a hosts file (`--local` for the zone's domain,
// `--cache-size=0`: it forwards every query, as ours does); and dns-stub.mjs, the upstream both
// forward to. A local query asks `web.<zone>.internal` A, a forwarded one `host.upstream.test`
// A; the same question asked of the stub directly is the baseline, so a forwarded row is "stub
// + one hop": its ratio is to that baseline and `+ms` is the hop alone. Figures are per query,
// after a warm-up; ratios and the hop are medians of per-round figures (each round asks every
// target in turn, the order reversed every other round). dns-client.mjs says what a figure holds.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import {
  BenchError,
  createNetns,
  hasCommand,
  inNs,
  median,
  p99,
  pairedRatio,
  progress,
  ROOT,
  ratio,
  runAsync,
  say,
  startServer,
  table,
  tempDir,
} from './core.mjs';
import { FORMS, formBlocker } from './plugins.mjs';
import { bunBlocker, probe } from './probe.mjs';

const ZONE = 'bench';
const DOMAIN = 'internal';
const LOCAL_NAME = `web.${ZONE}.${DOMAIN}`;
const FORWARDED_NAME = 'host.upstream.test';
const STUB_ANSWER = '192.0.2.1';
const NAMES_SUBNET = '10.53.1.0/24';
const CLIENT_ADDRESS = '10.53.0.100';
const ADDRESS = { compiled: '10.53.0.1', node: '10.53.0.2', dnsmasq: '10.53.0.3', stub: '10.53.0.4' };
// A zone of this many members.
const NAMES = 100;
const QUERIES = { full: 2000, quick: 500 };
const WARMUP = 200;
const TIMEOUT_MS = 1000;
const READY_MS = 10_000;
const LOST_LIMIT = 0.01;

const ms3 = (v) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');

/** The zone's members: `web` among `c<i>`, each with one address of NAMES_SUBNET. */
function members() {
  return Array.from({ length: NAMES }, (_, i) => ({ name: i === NAMES / 2 ? 'web' : `c${i}`, address: `10.53.1.${i + 2}` }));
}

function dnsmasqVersion() {
  const out = spawnSync('dnsmasq', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /version (\S+)/i.exec(out)?.[1] ?? '';
}

/** The gateway namespace's veth end holds every server's address; the container's the client's. */
function wire(gw, ct) {
  inNs(gw, 'ip', ['link', 'add', 'gw0', 'type', 'veth', 'peer', 'name', 'ct0', 'netns', ct.name]);
  for (const address of Object.values(ADDRESS)) inNs(gw, 'ip', ['address', 'add', `${address}/24`, 'dev', 'gw0']);
  inNs(gw, 'ip', ['link', 'set', 'gw0', 'up']);
  inNs(ct, 'ip', ['address', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'ct0']);
  inNs(ct, 'ip', ['link', 'set', 'ct0', 'up']);
}

function dnsmasqArgv(dir, hostsFile) {
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    `--pid-file=${dir}/dnsmasq.pid`,
    // Stays root: the hosts file is in the bench's private temp dir.
    '--user=root',
    '--no-resolv',
    '--no-poll',
    '--no-hosts',
    `--addn-hosts=${hostsFile}`,
    `--local=/${ZONE}.${DOMAIN}/`,
    `--server=${ADDRESS.stub}`,
    `--listen-address=${ADDRESS.dnsmasq}`,
    '--bind-interfaces',
    '--port=53',
    '--cache-size=0',
    '--log-facility=-',
  ];
}

/** One series per target: every query's time, and each round's median. */
function series(samples, key) {
  const rounds = samples[key];
  return rounds ? { all: rounds.flat(), rounds: rounds.map(median) } : undefined;
}

export async function dnsSection(ctx) {
  say("## 6. The zone's name server: answer latency\n");
  const noBun = bunBlocker();
  if (noBun) throw new BenchError(noBun);
  const forms = FORMS.filter((form) => {
    const blocker = formBlocker(form, ['zone-dns']);
    if (blocker) ctx.fail(`zone-dns, ${form.label}: ${blocker}`);
    return !blocker;
  });
  const dnsmasq = hasCommand('dnsmasq') ? dnsmasqVersion() || 'unknown version' : undefined;
  if (!dnsmasq)
    ctx.fail('name server beside dnsmasq: dnsmasq missing (apt-get install dnsmasq-base; scripts/install-system-deps.sh installs it)');

  const gw = createNetns('dnsgw');
  const ct = createNetns('dnsct');
  const dir = tempDir('dns');
  const servers = [];
  try {
    wire(gw, ct);
    const stateDir = `${dir.path}/names`;
    await probe(gw, 'names', { stateDir, zone: ZONE, entries: members() });
    const hostsFile = `${dir.path}/hosts`;
    writeFileSync(
      hostsFile,
      members()
        .map((m) => `${m.address} ${m.name}.${ZONE}.${DOMAIN}\n`)
        .join(''),
    );
    const web = members().find((m) => m.name === 'web').address;

    const stub = startServer('dns-stub', [process.execPath, `${ROOT}/scripts/bench/dns-stub.mjs`, ADDRESS.stub, '53', STUB_ANSWER], gw);
    servers.push(stub);
    await stub.waitFor('ready', 5000);
    const targets = [{ key: 'direct', address: ADDRESS.stub, name: FORWARDED_NAME, expect: STUB_ANSWER }];
    for (const form of forms) {
      const argv = [`${form.dir}/zone-dns`, '--zone', ZONE, '--listen', ADDRESS[form.form], '--port', '53', '--state-dir', stateDir];
      argv.push('--subnet', NAMES_SUBNET, '--upstream', ADDRESS.stub);
      servers.push(startServer(`zone-dns (${form.label})`, argv, gw));
      targets.push({ key: `local-${form.form}`, address: ADDRESS[form.form], name: LOCAL_NAME, expect: web });
      targets.push({ key: `forward-${form.form}`, address: ADDRESS[form.form], name: FORWARDED_NAME, expect: STUB_ANSWER });
    }
    if (dnsmasq) {
      servers.push(startServer('dnsmasq', dnsmasqArgv(dir.path, hostsFile), gw));
      targets.push({ key: 'local-dnsmasq', address: ADDRESS.dnsmasq, name: LOCAL_NAME, expect: web });
      targets.push({ key: 'forward-dnsmasq', address: ADDRESS.dnsmasq, name: FORWARDED_NAME, expect: STUB_ANSWER });
    }

    const total = ctx.quick ? QUERIES.quick : QUERIES.full;
    const perRound = Math.ceil(total / ctx.runs);
    progress(`dns: ${targets.length} targets, ${ctx.runs} rounds of ${perRound} queries each, after ${WARMUP} to warm up`);
    const config = {
      targets: targets.map((t) => ({ ...t, port: 53 })),
      rounds: ctx.runs,
      perRound,
      warmup: WARMUP,
      timeoutMs: TIMEOUT_MS,
      readyMs: READY_MS,
    };
    let out;
    try {
      out = await runAsync({
        label: 'dns-client',
        argv: [process.execPath, `${ROOT}/scripts/bench/dns-client.mjs`],
        stdin: JSON.stringify(config),
        ns: ct,
      });
    } catch (e) {
      throw new BenchError(`${e instanceof Error ? e.message : e}; ${servers.map((s) => s.describe()).join('; ')}`);
    }
    const line = out.split('\n').findLast((l) => l.startsWith('{'));
    if (!line) throw new BenchError(`dns-client printed no samples: ${out.slice(0, 2000)}`);
    const { samples, lost } = JSON.parse(line);

    const asked = ctx.runs * perRound;
    for (const [key, count] of Object.entries(lost)) {
      if (count > asked * LOST_LIMIT) ctx.fail(`name server, ${key}: ${count} of ${asked} queries got no answer within ${TIMEOUT_MS} ms`);
    }
    const direct = series(samples, 'direct');
    const localBase = series(samples, 'local-dnsmasq');
    const rows = [];
    const row = (query, by, s, compared) => rows.push([query, by, String(s.all.length), ms3(median(s.all)), ms3(p99(s.all)), compared]);
    const vs = (s, base, name) => (base ? `${ratio(pairedRatio(s.rounds, base.rounds))} ${name}` : 'n/a');
    const hop = (s) => {
      const added = median(s.rounds.map((m, i) => m - direct.rounds[i]));
      return `${added >= 0 ? '+' : ''}${ms3(added)} ms`;
    };

    const local = `\`${LOCAL_NAME}\` A (local)`;
    for (const form of forms) {
      const s = series(samples, `local-${form.form}`);
      ctx.results.dns[form.form] = { median: median(s.all), p99: p99(s.all), queries: s.all.length };
      row(local, `zone-dns, ${form.label}`, s, vs(s, localBase, 'dnsmasq'));
    }
    if (localBase) row(local, `dnsmasq ${dnsmasq}, hosts file`, localBase, ratio(1));
    const forwarded = `\`${FORWARDED_NAME}\` A (forwarded)`;
    for (const form of forms) {
      const s = series(samples, `forward-${form.form}`);
      row(forwarded, `zone-dns, ${form.label} → stub`, s, `${vs(s, direct, 'direct')}, ${hop(s)}`);
    }
    const forwardBase = series(samples, 'forward-dnsmasq');
    if (forwardBase)
      row(forwarded, `dnsmasq ${dnsmasq}, no cache → stub`, forwardBase, `${vs(forwardBase, direct, 'direct')}, ${hop(forwardBase)}`);
    row(forwarded, 'the stub, asked directly', direct, ratio(1));

    say(table(['query', 'answered by', '>queries', '>median ms', '>p99 ms', '>compared'], rows));
    const lostNote = Object.entries(lost).filter(([, n]) => n > 0);
    say(
      `\nUDP, one query at a time, from a container namespace to servers on the other end of a veth, after ${WARMUP} warm-up queries each;` +
        ` ${ctx.runs} rounds of ${perRound} queries per row, the rows' order reversed every other round.` +
        ` A figure runs from the client's send() to its 'message' event (kernel both ways, the server, one turn of the client's event loop).` +
        ` The zone has ${NAMES} names (lib/dns/names.ts store; dnsmasq: the same in a hosts file);` +
        ` forwarded queries go to dns-stub.mjs (Node, answers at once), which the last row asks directly: "+ms" is what the forwarding hop adds (median of per-round differences),` +
        ` dnsmasq with \`--cache-size=0\` so it forwards every query as zone-dns does.` +
        (lostNote.length ? ` Unanswered within ${TIMEOUT_MS} ms (left out): ${lostNote.map(([k, n]) => `${k} ${n}`).join(', ')}.` : ''),
    );
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    gw.remove();
    ct.remove();
    dir.remove();
  }
}
