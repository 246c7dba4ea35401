// The one namespace sandbox of the conformance harness and the privileged tests (test/support
// builds on it): network namespaces named `czt-<pid>-<n>-<role>` under /run/netns (the pid
// tells a live run's namespaces from a crashed run's), created and removed through lib/netns,
// commands run inside them with `nsenter --net=` (not `ip netns exec`, which remounts /sys),
// and a NamespaceGroup that removes what one case or test made, also after a failure, also
// synchronously when the process is being stopped. Nothing here ever runs a command in the
// namespace the process itself is in: plugins and probes only see private ones.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { createNamedNetns, NETNS_RUN_DIR, removeNamedNetns } from '../lib/netns/named.js';
import { findExecutable, requireExecutable } from '../lib/system/programs.js';
import { HarnessError } from './case.js';
import { runOutcome, type ProcessOptions, type ProcessOutcome } from './process.js';

export const NETNS_PREFIX = 'czt-';

/** A network namespace; `path` is what nsenter, CNI_NETNS and `ip link ... netns` accept. */
export interface Namespace {
  readonly name: string;
  readonly path: string;
}

let counter = 0;

function shortRole(role: string): string {
  return (
    role
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 8) || 'ns'
  );
}

/** A fresh name `czt-<pid>-<n>-<role>`. */
export function namespaceName(role: string): string {
  counter += 1;
  return `${NETNS_PREFIX}${process.pid}-${counter}-${shortRole(role)}`;
}

/** The pid of the process that named a `czt-` namespace, from its name. */
export function namespaceOwnerPid(name: string): number | undefined {
  const match = /^czt-(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

export function namespacePath(name: string): string {
  return `${NETNS_RUN_DIR}/${name}`;
}

/** Create a named namespace (default: a fresh name for `role`) with `lo` up, as runtimes make them. */
export async function createNamespace(role: string, name: string = namespaceName(role)): Promise<Namespace> {
  const path = await createNamedNetns(name);
  const ns = { name, path };
  try {
    await nsRunOk(ns, 'ip', ['link', 'set', 'lo', 'up']);
  } catch (e) {
    await removeNamedNetns(name).catch(() => undefined);
    throw e;
  }
  return ns;
}

/** Remove a namespace; quietly done when it is already gone. */
export async function removeNamespace(ns: Namespace): Promise<void> {
  await removeNamedNetns(ns.name);
}

/** The same, synchronously and quietly: for a process that is being stopped. */
export function removeNamespaceSync(name: string): void {
  try {
    execFileSync(findExecutable('ip') ?? 'ip', ['netns', 'delete', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/**
 * Kill (SIGKILL) every process that runs in namespace `path`: what a plugin left running there
 * (a [::1] proxy of an attachment never deleted) would otherwise keep the namespace alive.
 */
function killProcessesIn(path: string): number[] {
  const target = statSync(path, { throwIfNoEntry: false });
  if (target === undefined || isOwnNetworkNamespace(path)) return [];
  const link = `net:[${target.ino}]`;
  const killed: number[] = [];
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readlinkSync(`/proc/${name}/ns/net`) !== link) continue;
      process.kill(Number(name), 'SIGKILL');
      killed.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return killed;
}

/** Whether `path` is the network namespace this process runs in. */
function isOwnNetworkNamespace(path: string): boolean {
  const target = statSync(path, { throwIfNoEntry: false });
  const own = statSync('/proc/self/ns/net');
  return target !== undefined && target.ino === own.ino && target.dev === own.dev;
}

/** `nsenter --net=PATH --`, refusing the namespace we run in. */
export function nsenterPrefix(path: string): string[] {
  if (isOwnNetworkNamespace(path)) throw new Error(`refusing to run anything in our own network namespace (${path})`);
  return [`--net=${path}`, '--'];
}

/** Run a program (by name, found by lib/system/programs.ts) inside `ns`. */
export function nsRun(ns: Namespace, command: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessOutcome> {
  const file = command.startsWith('/') ? command : requireExecutable(command);
  return runOutcome(requireExecutable('nsenter'), [...nsenterPrefix(ns.path), file, ...args], options);
}

/** nsRun that resolves with stdout; a failure of the harness's own command is a HarnessError. */
export async function nsRunOk(ns: Namespace, command: string, args: readonly string[], options: ProcessOptions = {}): Promise<string> {
  const outcome = await nsRun(ns, command, args, options);
  if (outcome.exitCode !== 0) {
    const why = outcome.failure ?? (outcome.timedOut ? 'timed out' : outcome.stderr.trim() || `exit ${outcome.exitCode}`);
    throw new HarnessError(`${command} ${args.join(' ')} in ${ns.name}: ${why}`);
  }
  return outcome.stdout;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The namespaces one case or test made and the steps to run before they go. `cleanup` runs the
 * steps (last registered first), removes the namespaces and resolves with the problems it met;
 * it is idempotent. `abandon` does the same synchronously and quietly, for a process being stopped.
 */
export class NamespaceGroup {
  private readonly namespaces: Namespace[] = [];
  private readonly deferred: (() => unknown)[] = [];
  private readonly pending = new Set<string>();
  private cleaned: Promise<string[]> | undefined;

  /** A new namespace with `lo` up, removed with the group. */
  async create(role: string): Promise<Namespace> {
    if (this.cleaned) throw new Error('the sandbox is already cleaned up');
    // Known before it exists, so an interrupted process also removes one being created.
    const name = namespaceName(role);
    this.pending.add(name);
    try {
      const ns = await createNamespace(role, name);
      this.namespaces.push(ns);
      return ns;
    } finally {
      this.pending.delete(name);
    }
  }

  /** Run at cleanup, before the namespaces go (last registered first). */
  defer(fn: () => unknown): void {
    this.deferred.push(fn);
  }

  cleanup(): Promise<string[]> {
    this.cleaned ??= this.removeAll();
    return this.cleaned;
  }

  abandon(): void {
    for (const fn of this.deferred.splice(0).reverse()) {
      try {
        void fn();
      } catch {
        // stopping anyway
      }
    }
    const names = [
      ...this.namespaces
        .splice(0)
        .reverse()
        .map((ns) => ns.name),
      ...this.pending,
    ];
    for (const name of names) killProcessesIn(namespacePath(name));
    names.forEach(removeNamespaceSync);
    // An `ip netns add` still running may finish after the first sweep.
    for (let i = 0; i < 10 && this.pending.size; i++) {
      sleepSync(100);
      [...this.pending].filter((name) => existsSync(namespacePath(name))).forEach(removeNamespaceSync);
    }
  }

  private async removeAll(): Promise<string[]> {
    const problems: string[] = [];
    for (const fn of this.deferred.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        problems.push(`cleanup step failed: ${(e as Error).message}`);
      }
    }
    for (const ns of [...this.namespaces].reverse()) {
      try {
        killProcessesIn(ns.path);
        await removeNamespace(ns);
      } catch (e) {
        problems.push(`cannot remove namespace ${ns.name}: ${(e as Error).message}`);
      }
    }
    this.namespaces.splice(0);
    return problems;
  }
}
