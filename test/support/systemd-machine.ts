// A real systemd as PID 1 for tests, on machines whose own PID 1 is not systemd: a minimal
// Debian 12 root made by mmdebstrap, booted by systemd-nspawn (`-b`) inside a test network
// namespace. Inside it systemctl, systemd-run (socket-activated transient units) and
// journalctl work for real; the root network namespace is never touched.
//
//   beforeAll(() => systemdMachineRoot(), 600_000);     // the first build takes ~20-60 s
//   await bootSystemdMachine({ packages: ['podman'] }); // a root of its own with podman in it
//   const machine = await bootSystemdMachine();         // ~0.5 s
//   onTestFinished(() => machine.stop());
//   await machine.exec('systemctl', ['is-system-running']);
//
// The root is built once per package list into /var/cache/cni-zones-test (outside the work tree,
// kept across runs), under a flock so concurrent test processes build it once, and is only
// complete once its marker exists. Machines boot with `--volatile=overlay`: writes go to a tmpfs,
// the cached root stays clean, and several machines can run from it at once.
//
// Traps measured here (Debian 12, systemd 252, cgroup v1 with the unified hierarchy beside it):
// - Killing nspawn (even SIGKILL) leaves the machine's systemd running. nspawn runs as the init
//   of a pid namespace of its own (`unshare --pid --fork --kill-child`, with `setpriv --pdeathsig`),
//   so killing that unshare, or this process dying, takes the whole machine with it.
// - With `--keep-unit` nspawn puts the machine in `payload/` below its own cgroup; from the root
//   cgroup, every machine would share `/payload/system.slice/...` with the others. Each machine gets
//   a `czt-` cgroup of its own (removed by stop()).
// - `lo` must be up or `[::1]` listeners fail (createNetns brings it up).
// - `systemctl poweroff` often fails with "Connection reset by peer" as systemd goes down: use --no-block.
// - nspawn leaves /run/systemd/nspawn/propagate/<machine> when /run is not a tmpfs.
// - Debian 12's static busybox wget segfaults with `-T SECONDS`: bound it with exec's timeoutMs instead.
// - mmdebstrap in root mode mounts /proc, /sys and /dev into the target: it runs in a private mount
//   namespace, so a killed build leaves no mounts under a directory that is then removed.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa, type Options, type ResultPromise } from 'execa';
import { beforeAll } from 'vitest';
import { privileged } from './privileges.js';
import { requireExecutable } from '../../lib/system/programs.js';
import { cleanupOnExit } from './exit-cleanup.js';
import { createNetns, type Netns, nsenterArgs, removeNetns } from './netns.js';
import { isOrphanedNetns } from './leftovers.js';
import { removeNspawnLeftovers } from './nspawn-machine.js';
import { poll } from './poll.js';
import { killGroupAfter } from './process-group.js';

const cacheDir = '/var/cache/cni-zones-test';
const suite = 'bookworm';
// busybox-static: httpd, wget (also to http://[::1]:PORT/) and nc for tests inside the machine.
// systemd-resolved (enabled by its package; its stub takes over the root's /etc/resolv.conf, which
// only the machines see): what the host learns of a zone's name server, test/e2e/zone-dns-resolved.test.ts.
const basePackages = ['systemd', 'systemd-sysv', 'dbus', 'iproute2', 'nftables', 'libnftables1', 'busybox-static', 'systemd-resolved'];
// Bump when the way the root is made changes, so cached roots are rebuilt.
const layoutVersion = 1;
const readyMarker = '.czt-ready';

const buildTimeoutMs = 10 * 60_000;
const lockTimeoutMs = 15 * 60_000;
const defaultBootTimeoutMs = 30_000;
const defaultExecTimeoutMs = 30_000;
const poweroffTimeoutMs = 15_000;
const killTimeoutMs = 5_000;
const consoleKeepChars = 16_384;

const machinePath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The root's packages: the base ones, then `extra` (sorted, without repeats, so one list makes one root). */
function rootPackages(extra: readonly string[]): string[] {
  const added = [...new Set(extra)].filter((name) => !basePackages.includes(name)).sort();
  for (const name of added) if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) throw new Error(`not a Debian package name: ${JSON.stringify(name)}`);
  return [...basePackages, ...added];
}

function rootDirectory(packages: readonly string[]): string {
  const key = createHash('sha256').update(JSON.stringify({ layoutVersion, suite, packages })).digest('hex').slice(0, 12);
  return join(cacheDir, `systemd-root-${key}`);
}

function tail(text: string, chars = 4_000): string {
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}

/**
 * Hold an exclusive flock(2) on `path` until the returned function runs. flock(1) locks the open
 * file it inherits as fd 3, which this process keeps open: the lock outlives flock and ends at
 * the latest with this process.
 */
async function lockExclusive(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  const handle = await open(path, 'a');
  const seconds = String(Math.ceil(timeoutMs / 1000));
  // node's spawn, not execa: execa passes no file descriptor beyond stderr.
  const flock = spawn(requireExecutable('flock'), ['--exclusive', '--timeout', seconds, '3'], {
    stdio: ['ignore', 'ignore', 'pipe', handle.fd],
  });
  let stderr = '';
  flock.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => {
    flock.on('error', (error) => {
      stderr += error.message;
      resolve(null);
    });
    flock.on('close', resolve);
  });
  if (exitCode !== 0) {
    await handle.close();
    throw new Error(`cannot lock ${path} within ${seconds} s (another build running?): ${stderr.trim() || `exit ${exitCode}`}`);
  }
  return () => handle.close();
}

/** Refuse to delete a tree something is mounted in (rm would descend into it). */
function assertNothingMountedUnder(dir: string): void {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '');
  const inside = mountPoints.filter((point) => point === dir || point.startsWith(`${dir}/`));
  if (inside.length > 0) throw new Error(`refusing to remove ${dir}: mounted inside: ${inside.join(', ')}`);
}

async function removeTree(dir: string): Promise<void> {
  assertNothingMountedUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

async function runMmdebstrap(target: string, packages: readonly string[]): Promise<void> {
  // Private mount and pid namespaces: its mounts in the target vanish with it, and if this process
  // dies, pdeathsig kills unshare, whose --kill-child takes mmdebstrap and its apt and dpkg along.
  const unshare = [requireExecutable('unshare'), '--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', '--mount-proc'];
  const mmdebstrap = ['--quiet', '--mode=root', '--variant=minbase', `--include=${packages.join(',')}`, suite, target];
  const result = await execa(
    requireExecutable('setpriv'),
    ['--pdeathsig', 'KILL', '--', ...unshare, '--', requireExecutable('mmdebstrap'), ...mmdebstrap],
    { stdin: 'ignore', reject: false, timeout: buildTimeoutMs, killSignal: 'SIGKILL' },
  );
  if (result.exitCode !== 0) {
    const why = result.timedOut ? `timed out after ${buildTimeoutMs / 1000} s` : `exit ${result.exitCode}`;
    throw new Error(`mmdebstrap ${suite} into ${target} failed (${why}):\n${tail(`${result.stdout}\n${result.stderr}`)}`);
  }
}

async function buildRootOnce(root: string, packages: readonly string[]): Promise<string> {
  if (existsSync(join(root, readyMarker))) return root;
  await mkdir(cacheDir, { recursive: true });
  const unlock = await lockExclusive(`${root}.lock`, lockTimeoutMs);
  try {
    if (existsSync(join(root, readyMarker))) return root; // built by another process while we waited
    const staging = `${root}.partial`;
    await removeTree(root); // without its marker: not finished
    await removeTree(staging); // an interrupted build
    await runMmdebstrap(staging, packages);
    await writeFile(join(staging, readyMarker), `mmdebstrap --variant=minbase ${suite} ${packages.join(',')}\n`);
    await rename(staging, root);
    return root;
  } finally {
    await unlock();
  }
}

const cachedRoots = new Map<string, Promise<string>>();

/**
 * The cached Debian 12 root the machines boot, with `extraPackages` beside the base ones (built
 * on first use, one root per package list; later calls reuse it).
 */
function systemdMachineRoot(extraPackages: readonly string[] = []): Promise<string> {
  const packages = rootPackages(extraPackages);
  const root = rootDirectory(packages);
  let built = cachedRoots.get(root);
  if (built === undefined) {
    built = buildRootOnce(root, packages).catch((error: unknown) => {
      cachedRoots.delete(root);
      throw error;
    });
    cachedRoots.set(root, built);
  }
  return built;
}

// --- cgroups -----------------------------------------------------------------------------------

/**
 * A `<name>` cgroup below this process's own one in each hierarchy systemd uses: name=systemd
 * and the unified one beside it on a hybrid host, the single one on a cgroup v2 host.
 */
const machineRole = 'systemd';
const machineNamePattern = new RegExp(`^czt-\\d+-\\d+-${machineRole}$`);
const nspawnPropagateDir = '/run/systemd/nspawn/propagate';

function machineCgroupDirs(name: string): string[] {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const pathIn = (prefix: RegExp) => lines.find((line) => prefix.test(line))?.replace(prefix, '');
  const unified = pathIn(/^0::/);
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return unified === undefined ? [] : [join('/sys/fs/cgroup', unified, name)];
  const dirs: string[] = [];
  const named = pathIn(/^\d+:name=systemd:/);
  if (named !== undefined && existsSync('/sys/fs/cgroup/systemd')) dirs.push(join('/sys/fs/cgroup/systemd', named, name));
  if (unified !== undefined && existsSync('/sys/fs/cgroup/unified/cgroup.controllers'))
    dirs.push(join('/sys/fs/cgroup/unified', unified, name));
  return dirs;
}

/** Remove a cgroup tree bottom-up (rmdir only: a cgroup still holding a process stays). */
function removeCgroupTreeSync(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return; // gone
  }
  for (const entry of entries) removeCgroupTreeSync(join(dir, entry));
  try {
    rmdirSync(dir);
  } catch {
    // busy: a process is still leaving it; the caller retries
  }
}

async function removeCgroupTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await removeCgroupTree(join(dir, entry.name));
  await rmdir(dir).catch(() => undefined);
}

async function removeCgroups(dirs: readonly string[]): Promise<string | undefined> {
  const gone = await poll('the machine cgroups to empty', 5_000, async () => {
    for (const dir of dirs) await removeCgroupTree(dir);
    return dirs.every((dir) => !existsSync(dir)) ? true : undefined;
  }).catch(() => false);
  return gone ? undefined : `cgroups left: ${dirs.filter((dir) => existsSync(dir)).join(', ')}`;
}

/**
 * Remove what machines of crashed test processes (SIGKILL: no exit cleanup) left: their empty
 * cgroups and nspawn's propagate directories. Only `czt-<pid>-<n>-systemd` names whose owner is gone.
 */
async function removeOrphanedMachineLeftovers(): Promise<void> {
  const isOrphan = (name: string) => machineNamePattern.test(name) && isOrphanedNetns(name);
  const parents = [...new Set(machineCgroupDirs('x').map(dirname))];
  for (const parent of parents) {
    const orphans = (await readdir(parent).catch(() => [])).filter(isOrphan);
    for (const name of orphans) await removeCgroupTree(join(parent, name));
  }
  const propagate = (await readdir(nspawnPropagateDir).catch(() => [])).filter(isOrphan);
  for (const name of propagate) await removeNspawnLeftovers(name);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// --- processes ---------------------------------------------------------------------------------

function parentPidOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Children of `parent` found by their parent pid (the `children` file misses nspawn's machine). */
function childPids(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => parentPidOf(pid) === parent);
}

/** PID 1 of a pid namespace below ours: the last NSpid is 1. */
function isNamespaceInit(pid: number): boolean {
  try {
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split(/\s+/) ?? [];
    return nspid.length > 1 && nspid.at(-1) === '1';
  } catch {
    return false;
  }
}

/** unshare -> nspawn (init of the wrapper's pid namespace) -> the machine's systemd. */
function machineLeader(unsharePid: number): number | undefined {
  for (const nspawn of childPids(unsharePid)) {
    const leader = childPids(nspawn).find(isNamespaceInit);
    if (leader !== undefined) return leader;
  }
  return undefined;
}

// --- machines ----------------------------------------------------------------------------------

/** A host path bind-mounted read-only into the machine (e.g. dist/native with its links). */
export interface MachineBind {
  host: string;
  machine: string;
}

export interface SystemdMachineOptions {
  bindReadOnly?: readonly MachineBind[];
  /** Debian packages in the root beside the base ones (a root of its own, built on first use). */
  packages?: readonly string[];
  bootTimeoutMs?: number;
}

type ExecaOptions = Pick<Options, 'input' | 'inputFile' | 'reject' | 'env'> & { detached: true; extendEnv: false };
export type MachineExecOptions = Pick<Options, 'input' | 'inputFile' | 'reject' | 'env'> & { timeoutMs?: number };

export interface SystemdMachine {
  /** The machine's network namespace (nspawn runs in it too); its name is also the machine's name. */
  readonly netns: Netns;
  /** Host pid of the machine's PID 1 (systemd). */
  readonly leader: number;
  /**
   * Run a command in all of the machine's namespaces (`nsenter -t LEADER -a`) and wait for it; its
   * environment is only PATH plus `options.env`. Killed (as a process group) after `timeoutMs`, 30 s by default.
   */
  exec(command: string, args?: readonly string[], options?: MachineExecOptions): ResultPromise<ExecaOptions>;
  /** Copy a host file to `machinePath` inside (parents created, mode kept); it lives in the machine's tmpfs overlay. */
  copyIn(hostPath: string, machinePath: string): Promise<void>;
  /** The machine's console output so far (boot messages; the end of it), for failure messages. */
  console(): string;
  /** Power off (bounded), kill if need be, remove the cgroups, nspawn's leftovers and the netns; safe to call more than once. */
  stop(): Promise<void>;
}

function nspawnArgs(root: string, netns: Netns, options: SystemdMachineOptions): string[] {
  const binds = (options.bindReadOnly ?? []).map(({ host, machine }) => {
    if (host.includes(':') || machine.includes(':')) throw new Error(`bind paths must not contain ':' (${host}:${machine})`);
    return `--bind-ro=${host}:${machine}`;
  });
  return [
    requireExecutable('systemd-nspawn'),
    '--quiet',
    '--boot',
    `--directory=${root}`,
    '--volatile=overlay',
    `--machine=${netns.name}`,
    // Nothing outside to register with or to report to; no journal or console of the host used.
    '--register=no',
    '--keep-unit',
    '--link-journal=no',
    '--console=read-only',
    `--network-namespace-path=${netns.path}`,
    // The namespace is the machine's own, as with --private-network, but nspawn grants
    // CAP_NET_ADMIN only for that option: the machine's services (nftables.service, our repair
    // unit) configure its network, so they get it here too.
    '--capability=CAP_NET_ADMIN',
    ...binds,
  ];
}

// Its own process group; the console (stdout and stderr) is read as it comes, keeping the end.
const machineProcessOptions = { detached: true, stdin: 'ignore', all: true, buffer: false, reject: false } as const;

// The wrapper moves itself (nspawn to be) into the machine's own cgroups before nspawn starts.
const enterCgroups = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ >"$1/cgroup.procs" || exit 125; shift; n=$((n - 1)); done; exec "$@"';

async function systemState(leader: number): Promise<string | undefined> {
  const probe = await execa(requireExecutable('nsenter'), ['-t', String(leader), '-a', '--', 'systemctl', 'is-system-running'], {
    reject: false,
    timeout: 5_000,
    extendEnv: false,
    env: { PATH: machinePath },
  });
  return probe.stdout.trim() || undefined;
}

/** Boot a fresh machine from the cached root in a new `czt-` network namespace; call stop(). */
export async function bootSystemdMachine(options: SystemdMachineOptions = {}): Promise<SystemdMachine> {
  const root = await systemdMachineRoot(options.packages);
  await removeOrphanedMachineLeftovers();
  const netns = await createNetns(machineRole);
  let cgroups: string[] = [];
  let consoleText = '';
  let exited = false;

  let subprocess: ResultPromise<typeof machineProcessOptions> | undefined;
  const cancelExitCleanup = cleanupOnExit(() => {
    subprocess?.kill('SIGKILL');
    rmSync(`${nspawnPropagateDir}/${netns.name}`, { recursive: true, force: true });
    for (let i = 0; i < 20 && cgroups.some((dir) => existsSync(dir)); i++) {
      cgroups.forEach(removeCgroupTreeSync);
      if (cgroups.some((dir) => existsSync(dir))) sleepSync(100);
    }
    // The namespace goes through createNetns's own exit cleanup.
  });

  let stopped: Promise<void> | undefined;
  let leader: number | undefined;

  const exec: SystemdMachine['exec'] = (command, args = [], { timeoutMs = defaultExecTimeoutMs, env, ...execOptions } = {}) => {
    if (leader === undefined) throw new Error('the machine has not booted');
    // Own process group: nsenter forks for the pid namespace and would not pass a kill on.
    const run = execa(requireExecutable('nsenter'), ['-t', String(leader), '-a', '--', command, ...args], {
      ...execOptions,
      env: { PATH: machinePath, ...env },
      extendEnv: false,
      detached: true,
    });
    killGroupAfter(run, timeoutMs);
    return run;
  };

  const stop = () => {
    stopped ??= (async () => {
      const problems: string[] = [];
      if (subprocess !== undefined && !exited) {
        if (leader !== undefined) await exec('systemctl', ['poweroff', '--no-block'], { reject: false, timeoutMs: 5_000 });
        const poweredOff = await exitsWithin(subprocess, leader === undefined ? 0 : poweroffTimeoutMs);
        if (!poweredOff) {
          subprocess.kill('SIGKILL'); // unshare: --kill-child takes nspawn's whole pid namespace
          if (!(await exitsWithin(subprocess, killTimeoutMs))) problems.push(`nspawn (pid ${subprocess.pid}) survived SIGKILL`);
        }
      }
      await removeNspawnLeftovers(netns.name);
      const cgroupProblem = await removeCgroups(cgroups);
      if (cgroupProblem !== undefined) problems.push(cgroupProblem);
      await removeNetns(netns).catch((error: Error) => problems.push(`cannot remove ${netns.name}: ${error.message}`));
      cancelExitCleanup();
      if (problems.length > 0) throw new Error(`systemd machine ${netns.name} cleanup failed:\n  ${problems.join('\n  ')}`);
    })();
    return stopped;
  };

  try {
    cgroups = machineCgroupDirs(netns.name);
    await Promise.all(cgroups.map((dir) => mkdir(dir)));
    const wrapper = [
      ...['--pdeathsig', 'KILL', '--', requireExecutable('unshare'), '--pid', '--fork', '--kill-child', '--mount-proc', '--'],
      ...['sh', '-c', enterCgroups, 'sh', String(cgroups.length), ...cgroups],
      ...[requireExecutable('nsenter'), ...nsenterArgs(netns)],
    ];
    const started = execa(requireExecutable('setpriv'), [...wrapper, ...nspawnArgs(root, netns, options)], machineProcessOptions);
    subprocess = started;
    started.all.on('data', (chunk: Buffer) => {
      consoleText = (consoleText + chunk.toString()).slice(-consoleKeepChars);
    });
    const finished = started.then((result) => {
      exited = true;
      return result;
    });
    const unsharePid = started.pid;
    if (unsharePid === undefined) throw new Error('cannot start systemd-nspawn');

    leader = await poll(
      `${netns.name} to boot (systemctl is-system-running: running or degraded)`,
      options.bootTimeoutMs ?? defaultBootTimeoutMs,
      async () => {
        if (exited) {
          const { exitCode, signal } = await finished;
          throw new Error(`systemd-nspawn exited during boot (${signal ?? `exit ${exitCode}`}):\n${tail(consoleText)}`);
        }
        const candidate = machineLeader(unsharePid);
        if (candidate === undefined) return undefined;
        const state = await systemState(candidate);
        return state === 'running' || state === 'degraded' ? candidate : undefined;
      },
      async () => `console:\n${tail(consoleText)}`,
    );
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const booted = leader;
  return {
    netns,
    leader: booted,
    exec,
    async copyIn(hostPath, target) {
      const mode = ((await stat(hostPath)).mode & 0o7777).toString(8);
      const script = 'mkdir -p -- "$(dirname -- "$1")" && cat >"$1" && chmod "$2" "$1"';
      await exec('sh', ['-c', script, 'sh', target, mode], { inputFile: hostPath, timeoutMs: 60_000 });
    },
    console: () => consoleText,
    stop,
  };
}

async function exitsWithin(subprocess: PromiseLike<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const done = Promise.resolve(subprocess).then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The privileged suite of a test file that boots systemd machines: the tools they need, and the
 * root built before the first test (the first build, from Debian's archive, takes 20-60 s).
 */
export function systemdMachineSuite(packages: readonly string[] = []) {
  const suite = privileged(['ip', 'nsenter', 'unshare', 'setpriv', 'flock', 'mmdebstrap', 'systemd-nspawn']);
  beforeAll(async () => {
    if (suite.canRun) await systemdMachineRoot(packages);
  }, 600_000);
  return suite;
}
