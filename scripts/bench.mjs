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
