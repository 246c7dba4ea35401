// Network namespaces for privileged tests, and a Sandbox that owns them: the conformance
// harness's namespaces (conformance/netns.ts, shipped in dist/conformance.cjs) with test
// conveniences on top (execa results, veth pairs, addresses, background commands).
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

import { execa, type Options, type ResultPromise } from 'execa';
import {
  createNamespace,
  namespaceName,
  namespaceOwnerPid,
  namespacePath,
  NamespaceGroup,
  NETNS_PREFIX,
  nsenterPrefix,
  removeNamespace,
  removeNamespaceSync,
  type Namespace,
} from '../../conformance/netns.js';
import { listNamedNetns, NETNS_RUN_DIR, removeNamedNetns } from '../../lib/netns/named.js';
import { cleanupOnExit } from './exit-cleanup.js';

const testNetnsPrefix = NETNS_PREFIX;

/** A network namespace; `path` is what nsenter, CNI_NETNS and `ip link ... netns` accept. */
export type Netns = Namespace;

export type NsExecOptions = Pick<Options, 'input' | 'timeout' | 'reject' | 'env' | 'extendEnv' | 'cwd'>;

let vethCounter = 0;

export const uniqueNetnsName = namespaceName;
/** The pid of the test process that created a `czt-` namespace, from its name. */
export const netnsOwnerPid = namespaceOwnerPid;
export const netnsPath = namespacePath;

/** The path of a Netns, of a name under /run/netns, or a path as given. */
export function netnsPathOf(ns: Netns | string): string {
  if (typeof ns !== 'string') return ns.path;
  return ns.startsWith('/') ? ns : netnsPath(ns);
}

/** The `nsenter` prefix that runs a command in `ns`; refuses the namespace we run in (the root one). */
export function nsenterArgs(ns: Netns | string): string[] {
  return nsenterPrefix(netnsPathOf(ns));
}

/** Run a command inside `ns` (a Netns, a name under /run/netns, or a path) and wait for it. */
export function nsExec(ns: Netns | string, command: string, args: readonly string[] = [], options: NsExecOptions = {}) {
  return execa('nsenter', [...nsenterArgs(ns), command, ...args], options);
}

/** Start a long-running command inside `ns`; the caller stops it (a Sandbox does it for you). */
function nsSpawn(
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

export const deleteNetnsSync = removeNamespaceSync;

/** Delete a named namespace; a no-op when it is already gone, an error when it stays. */
export async function deleteNetns(name: string): Promise<void> {
  await removeNamedNetns(name);
}

export async function netnsExists(name: string): Promise<boolean> {
  return (await listNetns()).includes(name);
}

/** Names of all named namespaces (those in /run/netns). */
export async function listNetns(): Promise<string[]> {
  return listNamedNetns();
}

export async function listTestNetns(): Promise<string[]> {
  return (await listNetns()).filter((name) => name.startsWith(testNetnsPrefix));
}

/** Remove the namespace if the process exits before the returned function is called. */
function removeOnExit(name: string): () => void {
  return cleanupOnExit(() => removeNamespaceSync(name));
}

const exitCleanupCancels = new Map<string, () => void>();

/**
 * A new named namespace with `lo` up. It is deleted when the process exits unless
 * removed before; prefer a Sandbox, which also removes it when a test fails.
 */
export async function createNetns(role: string): Promise<Netns> {
  const ns = await createNamespace(role);
  exitCleanupCancels.set(ns.name, removeOnExit(ns.name));
  return ns;
}

/** Delete a namespace made by createNetns; a no-op when it is already gone. */
export async function removeNetns(ns: Netns): Promise<void> {
  await removeNamespace(ns);
  exitCleanupCancels.get(ns.name)?.();
  exitCleanupCancels.delete(ns.name);
}

/**
 * Make /run/netns a shared mount point, as the first `ip netns add` on a machine does, so
 * namespaces added later also appear in other mount namespaces (the networkd sandbox).
 */
export async function ensureNetnsDirShared(): Promise<void> {
  const { stdout } = await execa('findmnt', ['-n', '-o', 'PROPAGATION', '--mountpoint', NETNS_RUN_DIR], { reject: false });
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

/** A Sandbox is the harness's NamespaceGroup with test conveniences; the process exiting removes it too. */
export async function createSandbox(): Promise<Sandbox> {
  const group = new NamespaceGroup();
  const cancelExitCleanup = cleanupOnExit(() => group.abandon());
  let cleanupDone: Promise<void> | undefined;

  const runCleanup = async () => {
    const problems = await group.cleanup();
    cancelExitCleanup();
    if (problems.length > 0) throw new Error(`sandbox cleanup failed:\n  ${problems.join('\n  ')}`);
  };

  let host: Netns;
  try {
    host = await group.create('host');
  } catch (e) {
    await runCleanup().catch(() => undefined);
    throw e;
  }
  const sandbox: Sandbox = {
    host,
    container: (role) => group.create(role),
    connect: createVethPair,
    spawn(ns, command, args = []) {
      const subprocess = nsSpawn(ns, command, args);
      const cancelExitKill = cleanupOnExit(() => subprocess.kill('SIGKILL'));
      group.defer(async () => {
        cancelExitKill();
        subprocess.kill('SIGKILL');
        await subprocess;
      });
      return subprocess;
    },
    defer(action) {
      group.defer(action);
    },
    cleanup() {
      cleanupDone ??= runCleanup();
      return cleanupDone;
    },
  };
  return sandbox;
}
