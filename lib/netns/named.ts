// Named network namespaces, the `ip netns` way: a bind mount of the namespace on
// /run/netns/NAME keeps it alive without a process and gives it a path. Creating one means
// unshare + bind mount + making /run/netns a shared mount, which `ip netns add` already does
// right; it is not on a plugin's hot path, so we run `ip` instead of redoing it.

import { findExecutable } from '../system/programs.js';
import { isProcessError, runChecked } from '../system/process.js';
import { existsSync, readdirSync } from 'node:fs';
import { netnsNameProblem } from '../names/index.js';
import { errnoCode, NetnsError } from './errors.js';

export const NETNS_RUN_DIR = '/run/netns';

function validateNetnsName(name: string): void {
  const problem = netnsNameProblem(name);
  if (problem) throw new NetnsError('invalid-name', `invalid network namespace name "${name}"`, problem);
}

/** /run/netns/NAME, after validating NAME. */
export function namedNetnsPath(name: string): string {
  validateNetnsName(name);
  return `${NETNS_RUN_DIR}/${name}`;
}

export function namedNetnsExists(name: string): boolean {
  return existsSync(namedNetnsPath(name));
}

/** Names under /run/netns, sorted. */
export function listNamedNetns(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR)
      .filter((name) => netnsNameProblem(name) === undefined)
      .sort();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
}

function ipCommand(): string {
  return findExecutable('ip') ?? 'ip';
}

async function runIp(args: readonly string[]): Promise<void> {
  try {
    await runChecked(ipCommand(), args, { timeoutMs: 10_000 });
  } catch (e) {
    const details = (isProcessError(e) && e.details) || (e as Error).message;
    throw new NetnsError('command-failed', `ip ${args.join(' ')} failed`, details);
  }
}

/** Create /run/netns/NAME holding a new network namespace; returns its path. */
export async function createNamedNetns(name: string): Promise<string> {
  const path = namedNetnsPath(name);
  if (existsSync(path)) throw new NetnsError('exists', `network namespace ${name} already exists`);
  await runIp(['netns', 'add', name]);
  return path;
}

/** Unmount and remove /run/netns/NAME; false when it was not there. */
export async function removeNamedNetns(name: string): Promise<boolean> {
  if (!namedNetnsExists(name)) return false;
  await runIp(['netns', 'delete', name]);
  return true;
}
