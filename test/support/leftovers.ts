// What test processes leave behind: `czt-` namespaces, networkd sandboxes (processes and
// state directories). Each carries the pid of the test process that made it, so a run
// can tell its own leftovers, and those of a crashed earlier run, from the live objects
// of another test run on the same machine, which it must not touch. And what our plugins
// write by default under /run/cni-zones (names stores, server records, port records): every
// test names directories of its own, so a run must leave that tree as it found it. Nothing
// there says who wrote it, so it is only listed, never removed.

import { lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deleteNetns, listTestNetns, netnsOwnerPid, netnsPath } from './netns.js';
import { networkdInitScript } from './networkd-sandbox.js';
import { testTmpRoot } from './paths.js';
import { isDescendantOf, isProcessAlive, listProcesses, processStartTimeMs } from './processes.js';

/** The owner still runs, and is not a newer process that merely got the same pid. */
function ownerStillRuns(owner: number | undefined, createdMs: number): boolean {
  if (owner === undefined || !isProcessAlive(owner)) return false;
  const started = processStartTimeMs(owner);
  return started !== undefined && started <= createdMs + 1_000;
}

function createdMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

export function isOrphanedNetns(name: string): boolean {
  return !ownerStillRuns(netnsOwnerPid(name), createdMs(netnsPath(name)));
}

/** Made by `runner` or one of its test workers (the namespace's owner pid descends from it). */
export function isOwnedByRun(name: string, runner: number): boolean {
  const owner = netnsOwnerPid(name);
  return owner !== undefined && isDescendantOf(owner, runner);
}

export interface SandboxProcess {
  pid: number;
  owner: number | undefined;
}

function stateDirOwner(path: string): number | undefined {
  const match = /\/networkd-(\d+)-[^/]*$/.exec(path);
  return match ? Number(match[1]) : undefined;
}

/** Processes of networkd sandboxes (unshare and the sandbox init), with the pid of the test process that started them. */
export function listSandboxProcesses(): SandboxProcess[] {
  return listProcesses()
    .filter((p) => p.args.includes(networkdInitScript))
    .map((p) => ({ pid: p.pid, owner: stateDirOwner(p.args[p.args.indexOf(networkdInitScript) + 1] ?? '') }));
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export interface RemovedLeftovers {
  namespaces: string[];
  sandboxProcesses: number[];
  stateDirs: string[];
}

/** Remove what crashed test processes left: only objects whose owner no longer runs. */
export async function removeOrphanedLeftovers(): Promise<RemovedLeftovers> {
  const namespaces = (await listTestNetns()).filter(isOrphanedNetns);
  for (const name of namespaces) await deleteNetns(name);

  const sandboxProcesses = listSandboxProcesses()
    .filter((p) => p.owner === undefined || !isProcessAlive(p.owner))
    .map((p) => p.pid);
  sandboxProcesses.forEach(killQuietly);

  const stateDirs = listStateDirs().filter((dir) => {
    const owner = stateDirOwner(dir);
    return owner === undefined || !isProcessAlive(owner);
  });
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  return { namespaces, sandboxProcesses, stateDirs };
}

function listStateDirs(): string[] {
  try {
    return readdirSync(testTmpRoot)
      .filter((entry) => /^networkd-\d+-/.test(entry))
      .map((entry) => join(testTmpRoot, entry));
  } catch {
    return [];
  }
}

/** Sandbox processes still running that were started by `runner` or its workers, or whose starter is gone. */
export function leakedSandboxProcesses(runner: number): SandboxProcess[] {
  return listSandboxProcesses().filter((p) => p.owner === undefined || !isProcessAlive(p.owner) || isDescendantOf(p.owner, runner));
}

/** Where our plugins keep their state unless a configuration names another directory. */
export const pluginStateRoot = '/run/cni-zones';

/**
 * Every path in the tree at `root`, itself included, directories with a trailing `/` (symlinks
 * are not followed); empty when it does not exist.
 */
export function listStateTree(root: string = pluginStateRoot): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = lstatSync(root).isDirectory();
  } catch {
    return [];
  }
  if (!isDirectory) return [root];
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch {
    entries = []; // removed while we looked
  }
  return [`${root}/`, ...entries.flatMap((entry) => listStateTree(join(root, entry)))];
}
