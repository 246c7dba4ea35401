// Benchmark: what a plugin start costs, beside bare node and the reference plugins.
// Quoted in issue notes; never asserted by a test (a slow day must not fail CI).
//   node scripts/bench.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
const REFERENCE_DIR = '/usr/lib/cni';
// A runtime does not set NODE_EXTRA_CA_CERTS; here it would add 40-70 ms to every node start.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

function measure(label, command, args, { stdin = '', extraEnv = {} } = {}) {
  const times = [];
  let peakKiB = 0;
  const useTime = existsSync('/usr/bin/time');
  for (let i = 0; i < runs; i++) {
    const argv = useTime ? ['/usr/bin/time', ['-f', '%M', command, ...args]] : [command, args];
    const started = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv[1], { input: stdin, env: { ...env, ...extraEnv }, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (r.status !== 0) throw new Error(`${label}: exit ${r.status}: ${r.stdout}${r.stderr}`);
    if (useTime) peakKiB = Math.max(peakKiB, Number(r.stderr.trim().split('\n').pop()) || 0);
  }
  times.sort((a, b) => a - b);
  const pick = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { label, median: pick(0.5), p90: pick(0.9), peakMiB: peakKiB / 1024 };
}

function print(rows, baseline) {
  console.log(`| what | median ms | p90 ms | × bare node | peak RSS MiB |`);
  console.log(`|---|---:|---:|---:|---:|`);
  for (const r of rows) {
    const ratio = baseline ? (r.median / baseline.median).toFixed(2) : '';
    const rss = r.peakMiB ? r.peakMiB.toFixed(1) : 'n/a';
    console.log(`| ${r.label} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${ratio} | ${rss} |`);
  }
}

console.log(`# cni-zones benchmark (${runs} runs each, NODE_EXTRA_CA_CERTS unset, node ${process.version})\n`);
console.log('## Bundles\n');
for (const name of ['zone', 'zone-ipam', 'zone-ports', 'zonectl']) {
  const file = `dist/bin/${name}`;
  if (existsSync(file)) console.log(`- ${file}: ${(statSync(file).size / 1024).toFixed(1)} KiB`);
}

console.log('\n## Start-up: VERSION\n');
const version = { stdin: '{"cniVersion":"1.0.0"}', extraEnv: { CNI_COMMAND: 'VERSION' } };
const bare = measure('node -e 0', process.execPath, ['-e', '0']);
const rows = [bare];
for (const name of ['zone', 'zone-ipam', 'zone-ports']) rows.push(measure(`${name} VERSION`, `dist/bin/${name}`, [], version));
for (const name of ['bridge', 'host-local', 'portmap']) {
  const file = `${REFERENCE_DIR}/${name}`;
  if (existsSync(file)) rows.push(measure(`reference ${name} VERSION`, file, [], version));
}
print(rows, bare);

// ---- ports: zone-ports beside the reference portmap, and ADD with mappings already installed ----
// Privileged: everything happens in network namespaces made here (`czt-<pid>-*`, so the test
// suite's global setup recognises them as orphans should this process die) and removed at the
// end; nothing touches the root namespace. portmap needs iptables (Debian package `iptables`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function sh(file, args, options = {}) {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...options });
}

function portsBenchBlocker() {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync('dist/bin/zone-ports')) return 'dist/bin/zone-ports missing (run node scripts/build.mjs)';
  for (const tool of ['ip', 'nft', 'nsenter']) {
    try {
      sh('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} missing`;
    }
  }
  return undefined;
}

function portmapBlocker() {
  if (!existsSync(`${REFERENCE_DIR}/portmap`)) return `${REFERENCE_DIR}/portmap missing`;
  try {
    sh('iptables', ['-V']);
    return undefined;
  } catch {
    return 'iptables missing (apt-get install iptables)';
  }
}

async function portsSection() {
  console.log('\n## Ports: ADD and DEL wall time\n');
  const blocker = portsBenchBlocker();
  if (blocker) {
    console.log(`skipped: ${blocker}`);
    return;
  }
  const tag = `czt-${process.pid}`;
  const namespaces = [`${tag}-1-bhost`, `${tag}-2-bct`];
  const [hostNs, ctNs] = namespaces;
  const stateDir = mkdtempSync(join(tmpdir(), 'cni-zones-bench-'));
  const removeAll = () => {
    for (const ns of namespaces) spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(stateDir, { recursive: true, force: true });
  };
  const onSignal = () => {
    removeAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const ns of namespaces) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const inHost = (...args) => sh('ip', ['-n', hostNs, ...args]);
    inHost('link', 'add', 'vz-bench', 'type', 'bridge');
    inHost('addr', 'add', '10.88.0.1/16', 'dev', 'vz-bench');
    inHost('link', 'set', 'vz-bench', 'up');
    inHost('link', 'add', 'vzbench0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctNs);
    inHost('link', 'set', 'vzbench0', 'master', 'vz-bench');
    inHost('link', 'set', 'vzbench0', 'up');
    sh('ip', ['-n', ctNs, 'addr', 'add', '10.88.0.2/16', 'dev', 'eth0']);
    sh('ip', ['-n', ctNs, 'link', 'set', 'eth0', 'up']);
    sh('nsenter', [`--net=/run/netns/${hostNs}`, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    runPortsBenchmarks(hostNs, ctNs, stateDir);
  } finally {
    removeAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function prevResultFor(ctNs) {
  return {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'vz-bench' }, { name: 'vzbench0' }, { name: 'eth0', sandbox: `/run/netns/${ctNs}` }],
    ips: [{ address: '10.88.0.2/16', gateway: '10.88.0.1', interface: 2 }],
  };
}

function runPortsBenchmarks(hostNs, ctNs, stateDir) {
  const netns = `/run/netns/${ctNs}`;
  const prevResult = prevResultFor(ctNs);
  const pluginEnv = (command, id) => ({ CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: REFERENCE_DIR });
  const conf = (type, port) =>
    JSON.stringify({ cniVersion: '1.0.0', name: 'bench', type, portsStateDir: stateDir, runtimeConfig: { portMappings: [{ hostPort: port, containerPort: 80, protocol: 'tcp' }] }, prevResult });
  const timed = (label, executable, command, id, stdin) => timedIn(hostNs, label, executable, { ...pluginEnv(command, id) }, stdin);
  const stats = summarize;
  const zonePorts = 'dist/bin/zone-ports';
  const portmap = `${REFERENCE_DIR}/portmap`;
  const whyNoPortmap = portmapBlocker();

  // zone-ports and portmap alternate, so both see the same machine load.
  const times = { bare: [], zAdd: [], zDel: [], pAdd: [], pDel: [] };
  for (let i = 0; i < runs; i++) {
    times.bare.push(timed('node', process.execPath, 'VERSION', 'bench-n', ''));
    times.zAdd.push(timed('zone-ports', zonePorts, 'ADD', 'bench-z', conf('zone-ports', 8080)));
    times.zDel.push(timed('zone-ports', zonePorts, 'DEL', 'bench-z', conf('zone-ports', 8080)));
    if (whyNoPortmap) continue;
    times.pAdd.push(timed('portmap', portmap, 'ADD', 'bench-p', conf('portmap', 8081)));
    times.pDel.push(timed('portmap', portmap, 'DEL', 'bench-p', conf('portmap', 8081)));
  }
  const rows = [stats('node -e 0 (bare start, for scale)', times.bare), stats('zone-ports ADD (1 mapping)', times.zAdd), stats('zone-ports DEL', times.zDel)];
  if (!whyNoPortmap) rows.push(stats('reference portmap ADD (1 mapping)', times.pAdd), stats('reference portmap DEL', times.pDel));
  printPorts(rows);
  if (whyNoPortmap) console.log(`\nportmap not measured: ${whyNoPortmap}`);

  console.log('\n## Ports: zone-ports with mappings already installed\n');
  const scaling = [];
  let installed = 0;
  for (const target of [0, 10, 100, 1000]) {
    fillMappings(hostNs, installed, target);
    installed = target;
    const bare = [];
    const add = [];
    const del = [];
    for (let i = 0; i < runs; i++) {
      bare.push(timed('node', process.execPath, 'VERSION', 'bench-n', ''));
      add.push(timed('zone-ports', zonePorts, 'ADD', 'bench-z', conf('zone-ports', 8080)));
      del.push(timed('zone-ports', zonePorts, 'DEL', 'bench-z', conf('zone-ports', 8080)));
    }
    // DEL without its record: the listing fallback, to show what the record saves.
    const listed = [];
    for (let i = 0; i < Math.min(runs, 10); i++) {
      timed('zone-ports', zonePorts, 'ADD', 'bench-z', conf('zone-ports', 8080));
      rmSync(stateDir, { recursive: true, force: true });
      listed.push(timed('zone-ports', zonePorts, 'DEL', 'bench-z', conf('zone-ports', 8080)));
    }
    scaling.push(stats(`node -e 0 (for scale) at ${target}`, bare), stats(`ADD with ${target} installed`, add), stats(`DEL with ${target} installed`, del), stats(`DEL without record (listing) with ${target} installed`, listed));
  }
  printPorts(scaling);
}

// Mappings of other attachments, written straight into our table the way ADD writes them:
// one container per mapping (the worst case), each with its map entry and its target entry.
function fillMappings(hostNs, from, to) {
  if (to <= from) return;
  const lines = [];
  for (let i = from; i < to; i++) {
    const address = `10.88.${4 + Math.floor(i / 250)}.${(i % 250) + 1}`;
    const comment = `comment "ports bench fill-${i} eth0"`;
    lines.push(`add element inet cni_zones ports_any_v4 { tcp . ${20000 + i} ${comment} : ${address} . 80 }`);
    lines.push(`add element inet cni_zones ports_targets_v4 { ${address} ${comment} }`);
  }
  sh('nsenter', [`--net=/run/netns/${hostNs}`, 'nft', '-f', '-'], { input: `${lines.join('\n')}\n` });
}

// One plugin run inside a bench host namespace, as a runtime would start it there: wall time,
// CPU time (user + system, the plugin and what it waits for, e.g. nft) and peak RSS from
// /usr/bin/time. A busy machine inflates CPU time far less than wall time.
function timedIn(hostNs, label, executable, pluginEnv, stdin) {
  const started = process.hrtime.bigint();
  const r = spawnSync('nsenter', [`--net=/run/netns/${hostNs}`, '/usr/bin/time', '-f', '%U %S %M', executable], { input: stdin, env: { ...env, ...pluginEnv }, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${label} ${pluginEnv.CNI_COMMAND}: exit ${r.status}: ${r.stdout}${r.stderr}`);
  const [user, system, rssKiB] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: (user + system) * 1000, rssKiB };
}

function summarize(label, samples) {
  const sorted = (values) => [...values].sort((a, b) => a - b);
  const walls = sorted(samples.map((s) => s.wall));
  return {
    label,
    median: walls[Math.floor((walls.length - 1) / 2)],
    p90: walls[Math.min(walls.length - 1, Math.floor(0.9 * walls.length))],
    cpu: sorted(samples.map((s) => s.cpu))[Math.floor((samples.length - 1) / 2)],
    peakMiB: Math.max(...samples.map((s) => s.rssKiB ?? 0)) / 1024,
  };
}

// ---- zone: one ADD/DEL of zone + zone-ipam beside the reference bridge + host-local ----
async function zoneSection() {
  console.log('\n## zone + zone-ipam beside bridge + host-local: ADD and DEL\n');
  const blocker = portsBenchBlocker();
  if (blocker) return void console.log(`skipped: ${blocker}`);
  if (!existsSync(`${REFERENCE_DIR}/bridge`)) return void console.log(`skipped: ${REFERENCE_DIR}/bridge missing`);
  const tag = `czt-${process.pid}`;
  const namespaces = [`${tag}-3-zhost`, `${tag}-4-zct`, `${tag}-5-bct`];
  const [hostNs, zoneCt, bridgeCt] = namespaces;
  const dataDir = mkdtempSync(join(tmpdir(), 'cni-zones-bench-ipam-'));
  const removeAll = () => {
    for (const ns of namespaces) spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', removeAll);
  try {
    for (const ns of namespaces) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const ipam = (type, subnet) => ({ type, dataDir, ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] });
    const zoneConf = JSON.stringify({ cniVersion: '1.0.0', name: 'benchz', type: 'zone', zone: 'benchz', backend: 'netlink', ipam: ipam('zone-ipam', '10.87.0.0/16') });
    const bridgeConf = JSON.stringify({ cniVersion: '1.0.0', name: 'benchb', type: 'bridge', bridge: 'vz-benchb', isGateway: true, ipMasq: true, ipam: ipam('host-local', '10.86.0.0/16') });
    const zone = (command, id) =>
      timedIn(hostNs, 'zone', 'dist/bin/zone', { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: `/run/netns/${zoneCt}`, CNI_IFNAME: 'eth0', CNI_PATH: REFERENCE_DIR }, zoneConf);
    const bridge = (command, id) =>
      timedIn(hostNs, 'bridge', `${REFERENCE_DIR}/bridge`, { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: `/run/netns/${bridgeCt}`, CNI_IFNAME: 'eth0', CNI_PATH: REFERENCE_DIR }, bridgeConf);
    // A first ADD creates each bridge; the runs measure what every later container costs.
    for (const plugin of [zone, bridge]) {
      plugin('ADD', 'warm');
      plugin('DEL', 'warm');
    }
    const times = { zAdd: [], zDel: [], bAdd: [], bDel: [] };
    for (let i = 0; i < runs; i++) {
      times.zAdd.push(zone('ADD', `z${i}`));
      times.zDel.push(zone('DEL', `z${i}`));
      times.bAdd.push(bridge('ADD', `b${i}`));
      times.bDel.push(bridge('DEL', `b${i}`));
    }
    console.log('| what | median wall ms | p90 wall ms | median CPU ms | peak RSS MiB |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [label, samples] of [
      ['zone + zone-ipam ADD (one process)', times.zAdd],
      ['zone + zone-ipam DEL', times.zDel],
      ['reference bridge + host-local ADD', times.bAdd],
      ['reference bridge + host-local DEL', times.bDel],
    ]) {
      const r = summarize(label, samples);
      console.log(`| ${r.label} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.cpu.toFixed(0)} | ${r.peakMiB.toFixed(1)} |`);
    }
  } finally {
    removeAll();
    process.off('exit', removeAll);
  }
}

function printPorts(rows) {
  console.log('| what | median wall ms | p90 wall ms | median CPU ms |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.label} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.cpu.toFixed(0)} |`);
}

await zoneSection();
await portsSection();
