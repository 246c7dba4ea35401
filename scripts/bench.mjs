// Benchmark: our plugins beside Debian's reference plugins, in one run, as markdown tables.
//   node scripts/bench.mjs [--runs N] [--quick] [--driver libcni|runtime] [--only 1,2,...]
//
// Every comparison is interleaved (A B, B A, ... within the same rounds), and every ratio is the
// median of the ratios taken round by round, so a shared, noisy machine slows both sides alike.
// Sections: 1 VERSION start-up, 2 zone + zone-ipam ADD/DEL vs bridge + host-local, 3 zone-ports
// vs portmap, 4 the full chain through a runtime (libcni), 5 scale (attachments, mappings),
// 6 the zone's name server: answer latency of local and forwarded names vs dnsmasq and a direct
// upstream, 7 what zone isolation adds to ADD (its nft step in process, ADD at 1 vs 50 zones),
// 8 a zone across two hosts over VXLAN: throughput and latency same host, cross host and over
// the bare underlay, 9 peak RSS per plugin and form, 10 the targets, met or not. The full run
// takes 5-10 minutes on 2 cores (the scale section's 1000 ADDs are most of it; 6 and 7 about a
// minute, 8 half a minute); --quick about 2.
//
// It is a measurement, not a test: a missed target never fails it. It exits non-zero only when
// something could not be measured. Root: everything but VERSION happens in network namespaces
// it makes (`czt-<pid>-*`, so the test suite's global setup recognises them as orphans should
// this process be killed) and removes at the end, on failure and on SIGINT/SIGTERM/SIGHUP too;
// nothing touches the root namespace. Progress goes to stderr, the tables to stdout.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus as cpuList, loadavg } from 'node:os';
import { attachSection } from './bench/attach.mjs';
import { chainSection } from './bench/chain.mjs';
import { dnsSection } from './bench/dns.mjs';
import { BenchError, hasCommand, installCleanupHandlers, progress, ROOT, runCleanups, say } from './bench/core.mjs';
import { isolationSection } from './bench/isolation.mjs';
import { portsSection } from './bench/ports.mjs';
import { rssSection } from './bench/rss.mjs';
import { scaleSection } from './bench/scale.mjs';
import { targetsSection } from './bench/targets.mjs';
import { versionSection } from './bench/version.mjs';
import { vxlanSection } from './bench/vxlan.mjs';

// [title, run, needs root and namespaces]; --only and the numbers in the output follow this order.
const sections = [
  ['VERSION', versionSection, false],
  ['zone + zone-ipam ADD/DEL', attachSection, true],
  ['zone-ports ADD/DEL', portsSection, true],
  ['full chain', chainSection, true],
  ['scale', scaleSection, true],
  ['name server', dnsSection, true],
  ['isolation on ADD', isolationSection, true],
  ['multi-host zone (VXLAN)', vxlanSection, true],
];

function usage(message) {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write(
    'usage: node scripts/bench.mjs [--runs N] [--quick] [--driver libcni|runtime] [--only 1,2,...]\n' +
      '  --runs N   rounds per comparison (default 15, 5 with --quick; at most 10 per scale level and in section 8)\n' +
      '  --quick    smaller scale levels (0/20/100 attachments, 0/200/1000 mappings) for a smoke run\n' +
      "  --driver   the full chain's runtime: libcni (default; lib/runtime when it cannot be built) or runtime\n" +
      '  --only     run only these of sections 1-8 (9 and 10 summarise what ran)\n',
  );
  process.exit(message ? 2 : 0);
}

function parseOptions(argv) {
  const options = { runs: undefined, quick: false, driver: 'libcni', only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--runs') {
      options.runs = Number(argv[++i]);
      if (!Number.isInteger(options.runs) || options.runs < 1) usage('--runs wants a positive integer');
    } else if (arg === '--driver') {
      options.driver = argv[++i];
      if (!['libcni', 'runtime'].includes(options.driver)) usage('--driver is libcni or runtime');
    } else if (arg === '--only') {
      options.only = new Set(String(argv[++i]).split(',').map(Number));
      if ([...options.only].some((n) => !Number.isInteger(n) || n < 1 || n > sections.length))
        usage(`--only wants section numbers 1-${sections.length}, comma-separated`);
    } else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  options.runs ??= options.quick ? 5 : 15;
  return options;
}

/** Why the privileged sections cannot run at all, or undefined. */
function privilegedBlocker() {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  const missing = ['ip', 'nsenter', 'nft', 'iptables', 'sysctl'].filter((tool) => !hasCommand(tool));
  return missing.length ? `missing: ${missing.join(', ')}` : undefined;
}

function sizeOf(path) {
  if (!existsSync(path)) return 'missing';
  const bytes = statSync(path).size;
  return bytes > 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

const options = parseOptions(process.argv.slice(2));
installCleanupHandlers();
process.chdir(ROOT);

const ctx = {
  runs: options.runs,
  quick: options.quick,
  driver: options.driver,
  results: { version: {}, attach: { add: {}, del: {} }, chain: {}, scale: {}, dns: {}, isolation: {}, rss: {} },
  failures: [],
  fail(message) {
    this.failures.push(message);
    say(`\n**not measured:** ${message}\n`);
  },
};

const started = Date.now();
const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
say(`# cni-zones benchmark${options.quick ? ' (--quick)' : ''}\n`);
say(
  `${options.runs} rounds per comparison; node ${process.version}; kernel ${kernel}; ${cpuList().length} CPUs; load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; NODE_EXTRA_CA_CERTS unset for every process started.`,
);
say(
  `Executables: \`dist/native/cni-zones\` ${sizeOf('dist/native/cni-zones')} (compiled, every role); \`dist/bin/\` zone ${sizeOf('dist/bin/zone')}, zone-ipam ${sizeOf('dist/bin/zone-ipam')}, zone-ports ${sizeOf('dist/bin/zone-ports')}, zone-dns ${sizeOf('dist/bin/zone-dns')} (Node bundles); reference plugins from /usr/lib/cni.\n`,
);

const blocker = privilegedBlocker();
try {
  for (const [index, [name, section, privileged]] of sections.entries()) {
    if (options.only && !options.only.has(index + 1)) continue;
    if (privileged && blocker) {
      say(`## ${name}\n`);
      ctx.fail(`${name}: ${blocker}`);
      continue;
    }
    progress(`section: ${name}`);
    try {
      await section(ctx);
    } catch (e) {
      if (!(e instanceof BenchError)) progress(e instanceof Error ? (e.stack ?? e.message) : String(e));
      ctx.fail(`${name}: ${e instanceof Error ? e.message : e}`);
    }
    say('');
  }
  rssSection(ctx);
  targetsSection(ctx);
} finally {
  runCleanups();
}

const minutes = ((Date.now() - started) / 60000).toFixed(1);
say(
  `\nBench time ${minutes} min; load average at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}.`,
);
if (ctx.failures.length > 0) {
  say(`\n${ctx.failures.length} thing(s) could not be measured:\n${ctx.failures.map((f) => `- ${f}`).join('\n')}`);
  process.exitCode = 1;
}
