// What every bench section shares: cleanup on exit and signals, private network namespaces,
// one timed process run (wall time here, CPU and peak RSS from /usr/bin/time), interleaved
// rounds, servers kept running in a namespace, statistics and markdown tables.
//
// Nothing here runs anything in the root network namespace except `ip netns add|delete` of
// our own namespaces: every other command goes through `nsenter --net=<one of ours>`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const REFERENCE_DIR = '/usr/lib/cni';

// A runtime does not set NODE_EXTRA_CA_CERTS; here it would add 40-70 ms to every node start.
export const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;

/** A failure that means the bench could not measure something (the exit code says so). */
export class BenchError extends Error {}

const benchStart = Date.now();
const clock = () => {
  const seconds = Math.floor((Date.now() - benchStart) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};
export const progress = (line) => process.stderr.write(`[bench ${clock()}] ${line}\n`);

// ---- cleanup ---------------------------------------------------------------------------------

const cleanups = [];

/** Register a synchronous undo step; returns a function that drops it again. */
export function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.lastIndexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Every registered step, newest first; each step runs once even when another throws. */
export function runCleanups() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      fn();
    } catch (e) {
      process.stderr.write(`[bench] cleanup: ${e instanceof Error ? e.message : e}\n`);
    }
  }
}

/** On SIGINT/SIGTERM/SIGHUP and on any exit: undo everything registered. */
export function installCleanupHandlers() {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(signal, () => {
      progress(`${signal}: removing what the bench made`);
      runCleanups();
      process.exit(code);
    });
  }
  process.on('exit', runCleanups);
}

/**
 * Runs are synchronous (spawnSync, for clean timing); between runs the bench awaits this so a
 * pending signal gets handled (libuv delivers it on the next turn of the loop).
 */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

export function tempDir(role) {
  const dir = mkdtempSync(join(tmpdir(), `cni-zones-bench-${role}-`));
  const cancel = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return {
    path: dir,
    remove() {
      rmSync(dir, { recursive: true, force: true });
      cancel();
    },
  };
}

// ---- processes -------------------------------------------------------------------------------

/** A helper command that must succeed (setup, not measured); `timeout` in ms bounds it (SIGKILL). */
export function sh(file, args, { input, env, timeout } = {}) {
  const r = spawnSync(file, args, { input, env: env ?? baseEnv, encoding: 'utf8', maxBuffer: 256 << 20, timeout, killSignal: 'SIGKILL' });
  if (r.error)
    throw new BenchError(`${file} ${args.join(' ')}: ${r.error.code === 'ETIMEDOUT' ? `no end within ${timeout} ms` : r.error.message}`);
  if (r.status !== 0) throw new BenchError(`${file} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const STOP_WAIT_MS = 3000;

/**
 * A server in one of our namespaces until stop(): SIGTERM, then SIGKILL after a bound (and
 * SIGKILL from the bench's cleanup should it end first). Its output is kept for errors.
 */
export function startServer(label, argv, ns) {
  const full = [...nsenterArgs(ns), ...argv];
  const child = spawn(full[0], full.slice(1), { env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let exited;
  const keep = (d) => (output = `${output}${d}`.slice(-2000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('error', (e) => keep(`${e.message}\n`));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve((exited = code ?? signal))));
  const cancel = onCleanup(() => {
    if (exited === undefined) child.kill('SIGKILL');
  });
  const describe = () => `${label}${exited === undefined ? '' : ` exited ${exited}`}${output.trim() ? `: ${output.trim()}` : ''}`;
  return {
    describe,
    /** Resolves once it printed `line` (a whole line, or a match of a RegExp); throws when it exits first or `ms` pass. */
    async waitFor(line, ms) {
      const deadline = Date.now() + ms;
      const printed = () => (typeof line === 'string' ? output.split('\n').includes(line) : line.test(output));
      while (!printed()) {
        if (exited !== undefined || Date.now() > deadline) throw new BenchError(`${label} did not start: ${describe()}`);
        await sleep(20);
      }
    },
    async stop() {
      if (exited === undefined) {
        child.kill('SIGTERM');
        await Promise.race([done, sleep(STOP_WAIT_MS)]);
        if (exited === undefined) child.kill('SIGKILL');
        await done;
      }
      cancel();
    },
  };
}

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

// ---- namespaces ------------------------------------------------------------------------------

// `czt-<pid>-<counter>-<role>`: the test suite's global setup removes such namespaces once
// their owner pid is gone, so a bench killed with SIGKILL leaves nothing for ever.
const NETNS_PREFIX = `czt-${process.pid}-`;
let netnsCounter = 0;
const ownNetns = new Set();

/** SIGKILL every process in the namespaces (a [::1] proxy of an attachment a bench never deleted). */
function killProcessesIn(names) {
  const links = new Set();
  for (const name of names) {
    try {
      links.add(`net:[${statSync(`/run/netns/${name}`).ino}]`);
    } catch {
      // gone already
    }
  }
  if (links.size === 0) return;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (links.has(readlinkSync(`/proc/${pid}/ns/net`))) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone, or not ours to read
    }
  }
}

function deleteNetns(names) {
  if (names.length === 0) return;
  killProcessesIn(names);
  // One `ip` for many: deleting a thousand namespaces one process each takes seconds.
  spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns delete ${n}\n`).join(''), encoding: 'utf8' });
  for (const name of names) {
    if (existsSync(`/run/netns/${name}`)) spawnSync('ip', ['netns', 'delete', name]);
    ownNetns.delete(name);
  }
}

/** A new named namespace of ours with `lo` up; removed at the latest when the bench exits. */
export function createNetns(role) {
  netnsCounter += 1;
  const name = `${NETNS_PREFIX}${netnsCounter}-${
    role
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 8) || 'ns'
  }`;
  sh('ip', ['netns', 'add', name]);
  ownNetns.add(name);
  const cancel = onCleanup(() => deleteNetns([name]));
  const ns = {
    name,
    path: `/run/netns/${name}`,
    remove() {
      cancel();
      deleteNetns([name]);
    },
    /** Forget the per-namespace cleanup: the caller removes it with others through removeNetnsMany. */
    detachCleanup: cancel,
  };
  inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
  return ns;
}

/** Remove many namespaces at once (made by createNetns, their own cleanup detached). */
export function removeNetnsMany(namespaces) {
  deleteNetns(namespaces.filter(Boolean).map((ns) => ns.name));
}

/** The nsenter prefix for one of our namespaces; anything else is refused. */
export function nsenterArgs(ns) {
  if (!ownNetns.has(ns.name) || ns.path !== `/run/netns/${ns.name}`)
    throw new BenchError(`refusing to enter ${ns.path}: not a namespace of this bench`);
  return ['nsenter', `--net=${ns.path}`, '--'];
}

/** A setup command inside one of our namespaces (not measured). */
export function inNs(ns, file, args, options) {
  const [nsenter, ...rest] = nsenterArgs(ns);
  return sh(nsenter, [...rest, file, ...args], options);
}

// ---- measuring -------------------------------------------------------------------------------

const RUSAGE_MARK = '@@bench-rusage';

function parseRusage(stderr) {
  const lines = stderr.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (!line.startsWith(RUSAGE_MARK)) continue;
    const [user, system, maxrss] = line.slice(RUSAGE_MARK.length).trim().split(/\s+/).map(Number);
    return { cpu: (user + system) * 1000, rssKiB: maxrss, stderr: [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n') };
  }
  return undefined;
}

/**
 * One measured run: `argv` under /usr/bin/time, inside `ns` when given (as a runtime in that
 * namespace would start it). Wall time is taken here around the whole spawn; CPU (user +
 * system, 10 ms resolution) and peak RSS (max RSS of the process and the children it waited
 * for, e.g. host-local under bridge) come from wait4's rusage through /usr/bin/time.
 * A non-zero exit throws a BenchError with the output.
 */
export function measure({ label, argv, env = {}, stdin = '', ns }) {
  const timed = ['/usr/bin/time', '-f', `${RUSAGE_MARK} %U %S %M`, ...argv];
  const full = ns ? [...nsenterArgs(ns), ...timed] : timed;
  const started = process.hrtime.bigint();
  const r = spawnSync(full[0], full.slice(1), { input: stdin, env: { ...baseEnv, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  // A plugin that exits without reading all of stdin (VERSION) is no failure: Go's os/exec, and so
  // libcni, ignore EPIPE on the plugin's stdin too.
  if (r.error && !(r.error.code === 'EPIPE' && r.status !== null)) throw new BenchError(`${label}: ${r.error.message}`);
  const usage = parseRusage(r.stderr ?? '');
  if (r.status !== 0 || !usage) {
    const output = `${r.stdout ?? ''}${usage ? usage.stderr : r.stderr}`.trim();
    throw new BenchError(`${label}: exit ${r.status ?? r.signal}${output ? `: ${output.slice(0, 2000)}` : ''}`);
  }
  return { wall, cpu: usage.cpu, rssKiB: usage.rssKiB, stdout: r.stdout };
}

/** The same, unmeasured and asynchronous (for filling a zone two at a time). */
export function runAsync({ label, argv, env = {}, stdin = '', ns }) {
  const full = ns ? [...nsenterArgs(ns), ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), { env: { ...baseEnv, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => reject(new BenchError(`${label}: ${e.message}`)));
    child.on('close', (code, signal) =>
      code === 0 ? resolve(out) : reject(new BenchError(`${label}: exit ${code ?? signal}: ${out.trim().slice(0, 2000)}`)),
    );
    child.stdin.on('error', () => undefined); // EPIPE: the plugin did not read it all, as with libcni
    child.stdin.end(stdin);
  });
}

// ---- peak RSS, per plugin and form, over the whole run ------------------------------------------

const peaks = new Map();

/** Note the peak RSS of one call; `kind` 'plugin' calls count for the RSS target. */
export function notePeak({ what, form, kind = 'plugin', where }, sample) {
  const key = `${what}\u0000${form}`;
  const entry = peaks.get(key) ?? { what, form, kind, calls: 0, peakKiB: 0, where: '' };
  entry.calls += 1;
  if (sample.rssKiB > entry.peakKiB) {
    entry.peakKiB = sample.rssKiB;
    entry.where = where;
  }
  peaks.set(key, entry);
}

export const peakEntries = () => [...peaks.values()];

// ---- rounds ----------------------------------------------------------------------------------

/**
 * `rounds` rounds; each runs every unit once, in the listed order on even rounds and reversed
 * on odd ones (A B, B A, ...), so load drift and order effects hit every unit alike. A unit
 * returns one sample or an object of named samples (e.g. {add, del}); they are collected per
 * unit key, index = round, so ratios can be taken round by round. A unit may return a
 * promise: it is awaited before the next unit starts.
 */
export async function interleave(rounds, units) {
  const samples = Object.fromEntries(units.map((u) => [u.key, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? units : [...units].reverse();
    for (const unit of order) {
      samples[unit.key][round] = await unit.run(round);
      await tick();
    }
  }
  return samples;
}

// ---- statistics ------------------------------------------------------------------------------

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The value that `fraction` of the values are at most (nearest rank). */
function percentile(values, fraction) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil(fraction * s.length) - 1))];
}

export const p90 = (values) => percentile(values, 0.9);
export const p99 = (values) => percentile(values, 0.99);

/** Median over rounds of a[i] / b[i]: the ratio within each round, where both saw the same load. */
export function pairedRatio(a, b) {
  return median(a.map((x, i) => x / b[i]));
}

export const walls = (samples) => samples.map((s) => s.wall);
export const cpus = (samples) => samples.map((s) => s.cpu);
export const peakMiB = (samples) => Math.max(...samples.map((s) => s.rssKiB)) / 1024;

// ---- output ----------------------------------------------------------------------------------

export const ms = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
export const ratio = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
export const mib = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');

/** A markdown table; columns whose header starts with '>' are right-aligned. */
export function table(headers, rows) {
  const right = headers.map((h) => h.startsWith('>'));
  const names = headers.map((h) => h.replace(/^>/, ''));
  const lines = [`| ${names.join(' | ')} |`, `|${right.map((r) => (r ? '---:' : '---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

export const say = (text = '') => process.stdout.write(`${text}\n`);
