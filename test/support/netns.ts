// Network namespaces for privileged tests, and a Sandbox that owns them.
//
// Every namespace is named `czt-<pid>-<counter>-<role>` (pid of the test process), so
// leftovers are recognisable, and the global setup can tell a crashed run's debris
// from the namespaces of a run that is still going. Commands run inside through
// `nsenter --net=PATH` (not `ip netns exec`, which remounts /sys and hides cgroups).
// Nothing here ever runs a command in the root namespace.
//
// Usage, one sandbox per test (cleanup also runs when the test fails):
//
//   let sandbox: Sandbox;
//   beforeEach(async () => { sandbox = await createSandbox(); });
//   afterEach(() => sandbox.cleanup());
//
// or inside a single test: `const sandbox = await createSandbox(); onTestFinished(() => sandbox.cleanup());`
// or per file with beforeAll/afterAll. `cleanup()` is idempotent, and whatever a
// crashed test process left is removed on exit, SIGINT and SIGTERM (synchronously).

import { statSync } from 'node:fs';
import { execa, execaSync, type Options, type ResultPromise } from 'execa';
import { cleanupOnExit } from './exit-cleanup.js';

export const testNetnsPrefix = 'czt-';
const netnsRunDir = '/run/netns';

/** A network namespace; `path` is what nsenter, CNI_NETNS and `ip link ... netns` accept. */
export interface Netns {
  readonly name: string;
  readonly path: string;
}

export type NsExecOptions = Pick<Options, 'input' | 'timeout' | 'reject' | 'env' | 'extendEnv' | 'cwd'>;

let namespaceCounter = 0;
let vethCounter = 0;

function shortRole(role: string): string {
  return role.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8) || 'ns';
}

export function uniqueNetnsName(role: string): string {
  namespaceCounter += 1;
  return `${testNetnsPrefix}${process.pid}-${namespaceCounter}-${shortRole(role)}`;
}

/** The pid of the test process that created a `czt-` namespace, from its name. */
export function netnsOwnerPid(name: string): number | undefined {
  const match = /^czt-(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

export function netnsPath(name: string): string {
  return `${netnsRunDir}/${name}`;
}

/** The path of a Netns, of a name under /run/netns, or a path as given. */
export function netnsPathOf(ns: Netns | string): string {
  if (typeof ns !== 'string') return ns.path;
  return ns.startsWith('/') ? ns : netnsPath(ns);
}

function isOwnNetworkNamespace(path: string): boolean {
  const target = statSync(path, { throwIfNoEntry: false });
  const own = statSync('/proc/self/ns/net');
  return target !== undefined && target.ino === own.ino && target.dev === own.dev;
}

/** The `nsenter` prefix that runs a command in `ns`; refuses the namespace we run in (the root one). */
export function nsenterArgs(ns: Netns | string): string[] {
  const path = netnsPathOf(ns);
  if (isOwnNetworkNamespace(path)) throw new Error(`refusing to run in our own (root) network namespace: ${path}`);
  return [`--net=${path}`, '--'];
}

/** Run a command inside `ns` (a Netns, a name under /run/netns, or a path) and wait for it. */
export function nsExec(ns: Netns | string, command: string, args: readonly string[] = [], options: NsExecOptions = {}) {
  return execa('nsenter', [...nsenterArgs(ns), command, ...args], options);
}

/** Start a long-running command inside `ns`; the caller stops it (a Sandbox does it for you). */
export function nsSpawn(
  ns: Netns | string,
  command: string,
  args: readonly string[] = [],
  options: Pick<Options, 'env' | 'extendEnv' | 'cwd'> = {},
): ResultPromise<{ reject: false }> {
  return execa('nsenter', [...nsenterArgs(ns), command, ...args], { ...options, reject: false });
}

/** `ip` inside `ns`. */
export function ipIn(ns: Netns | string, ...args: string[]) {
  return nsExec(ns, 'ip', args);
}

export function deleteNetnsSync(name: string): void {
  execaSync('ip', ['netns', 'delete', name], { reject: false });
}

export async function deleteNetns(name: string): Promise<void> {
  const result = await execa('ip', ['netns', 'delete', name], { reject: false });
  if (result.exitCode !== 0 && (await netnsExists(name))) {
    throw new Error(`cannot delete network namespace ${name}: ${result.stderr}`);
  }
}

export async function netnsExists(name: string): Promise<boolean> {
  return (await listNetns()).includes(name);
}

/** Names of all named namespaces (those in /run/netns). */
export async function listNetns(): Promise<string[]> {
  const { stdout } = await execa('ip', ['-j', 'netns', 'list']);
  const entries = stdout.trim() === '' ? [] : (JSON.parse(stdout) as { name: string }[]);
  return entries.map((entry) => entry.name);
}

export async function listTestNetns(): Promise<string[]> {
  return (await listNetns()).filter((name) => name.startsWith(testNetnsPrefix));
}

const exitCleanupCancels = new Map<string, () => void>();

/**
 * A new named namespace with `lo` up. It is deleted when the process exits unless
 * removed before; prefer a Sandbox, which also removes it when a test fails.
 */
export async function createNetns(role: string): Promise<Netns> {
  const name = uniqueNetnsName(role);
  await execa('ip', ['netns', 'add', name]);
  const ns = { name, path: netnsPath(name) };
  const cancelExitCleanup = cleanupOnExit(() => deleteNetnsSync(name));
  exitCleanupCancels.set(name, cancelExitCleanup);
  try {
    await ipIn(ns, 'link', 'set', 'lo', 'up');
  } catch (error) {
    await removeNetns(ns);
    throw error;
  }
  return ns;
}


/** Delete a namespace made by createNetns; a no-op when it is already gone. */
export async function removeNetns(ns: Netns): Promise<void> {
  await deleteNetns(ns.name);
  exitCleanupCancels.get(ns.name)?.();
  exitCleanupCancels.delete(ns.name);
}

/**
 * Make /run/netns a shared mount point, as the first `ip netns add` on a machine does, so
 * namespaces added later also appear in other mount namespaces (the networkd sandbox).
 */
export async function ensureNetnsDirShared(): Promise<void> {
  const { stdout } = await execa('findmnt', ['-n', '-o', 'PROPAGATION', '--mountpoint', netnsRunDir], { reject: false });
  if (stdout.includes('shared')) return;
  await removeNetns(await createNetns('probe'));
}

export interface VethEnd {
  readonly ns: Netns;
  readonly ifname: string;
}

export interface VethPair {
  readonly a: VethEnd;
  readonly b: VethEnd;
}

export interface VethOptions {
  /** Name of the end in `a` (default `czv<n>a`). */
  nameA?: string;
  /** Name of the end in `b` (default `czv<n>b`). */
  nameB?: string;
  mtu?: number;
}

/** A veth pair between two namespaces, made inside `a` with its peer created straight in `b`; both ends up. */
export async function createVethPair(a: Netns, b: Netns, options: VethOptions = {}): Promise<VethPair> {
  vethCounter += 1;
  const nameA = options.nameA ?? `czv${vethCounter}a`;
  const nameB = options.nameB ?? `czv${vethCounter}b`;
  const mtu = options.mtu === undefined ? [] : ['mtu', String(options.mtu)];
  await ipIn(a, 'link', 'add', nameA, ...mtu, 'type', 'veth', 'peer', 'name', nameB, ...mtu, 'netns', b.path);
  await ipIn(a, 'link', 'set', nameA, 'up');
  await ipIn(b, 'link', 'set', nameB, 'up');
  return { a: { ns: a, ifname: nameA }, b: { ns: b, ifname: nameB } };
}

/** Add `cidr` (v4 or v6) to a link and bring it up. IPv6 skips DAD, so the address is usable at once. */
export async function addAddress(ns: Netns | string, ifname: string, cidr: string): Promise<void> {
  const noDad = cidr.includes(':') ? ['nodad'] : [];
  await ipIn(ns, 'address', 'add', cidr, 'dev', ifname, ...noDad);
  await ipIn(ns, 'link', 'set', ifname, 'up');
}

export async function addRoute(ns: Netns | string, destination: string, via: string): Promise<void> {
  await ipIn(ns, 'route', 'add', destination, 'via', via);
}

/** Everything a test made in namespaces, removed together by `cleanup()`. */
export interface Sandbox {
  /** The test's stand-in for the host (root) namespace. */
  readonly host: Netns;
  /** A further namespace, e.g. for a container. */
  container(role: string): Promise<Netns>;
  /** A veth pair, by default host-side `czv<n>a` and container-side `czv<n>b`. */
  connect(a: Netns, b: Netns, options?: VethOptions): Promise<VethPair>;
  /** A background command inside `ns`, killed by cleanup. */
  spawn(ns: Netns, command: string, args?: readonly string[]): ResultPromise<{ reject: false }>;
  /** Run `action` during cleanup (last registered runs first, before namespaces go). */
  defer(action: () => unknown): void;
  /** Remove everything; safe to call more than once. Throws if something could not be removed. */
  cleanup(): Promise<void>;
}

export async function createSandbox(): Promise<Sandbox> {
  const namespaces: Netns[] = [];
  const deferred: (() => unknown)[] = [];
  let cleanupDone: Promise<void> | undefined;

  const newNetns = async (role: string) => {
    if (cleanupDone) throw new Error('sandbox already cleaned up');
    const ns = await createNetns(role);
    namespaces.push(ns);
    return ns;
  };

  const runCleanup = async () => {
    const errors: unknown[] = [];
    for (const action of deferred.reverse()) {
      try {
        await action();
      } catch (error) {
        errors.push(error);
      }
    }
    for (const ns of namespaces.reverse()) {
      try {
        await removeNetns(ns);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'sandbox cleanup failed');
  };

  const sandbox: Sandbox = {
    host: await newNetns('host'),
    container: newNetns,
    connect: createVethPair,
    spawn(ns, command, args = []) {
      const subprocess = nsSpawn(ns, command, args);
      const cancelExitKill = cleanupOnExit(() => subprocess.kill('SIGKILL'));
      deferred.push(async () => {
        cancelExitKill();
        subprocess.kill('SIGKILL');
        await subprocess;
      });
      return subprocess;
    },
    defer(action) {
      deferred.push(action);
    },
    cleanup() {
      cleanupDone ??= runCleanup();
      return cleanupDone;
    },
  };
  return sandbox;
}
