// The harness's own network namespaces: named `czt-<pid>-<n>-<role>` under /run/netns (the
// pid tells a live run's namespaces from a crashed run's), created and removed through
// lib/netns, and commands run inside them with `nsenter --net=`. Nothing here ever runs a
// command in the namespace the harness itself is in: plugins and probes only see private ones.
import { statSync } from 'node:fs';
import { createNamedNetns, removeNamedNetns } from '../lib/netns/named.js';
import { HarnessError } from './case.js';
import { runOutcome, type ProcessOptions, type ProcessOutcome } from './process.js';
import { requireExecutable } from '../lib/system/programs.js';

export const NETNS_PREFIX = 'czt-';

export interface Namespace {
  readonly name: string;
  readonly path: string;
}

let counter = 0;

function shortRole(role: string): string {
  return role.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 10) || 'ns';
}

/** A fresh name `czt-<pid>-<n>-<role>`. */
export function namespaceName(role: string): string {
  counter += 1;
  return `${NETNS_PREFIX}${process.pid}-${counter}-${shortRole(role)}`;
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

function isOwnNamespace(path: string): boolean {
  const target = statSync(path, { throwIfNoEntry: false });
  const own = statSync('/proc/self/ns/net');
  return target !== undefined && target.ino === own.ino && target.dev === own.dev;
}

/** `nsenter --net=PATH --`, refusing the namespace we run in. */
export function nsenterPrefix(path: string): string[] {
  if (isOwnNamespace(path)) throw new Error(`refusing to run anything in the harness's own network namespace (${path})`);
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
