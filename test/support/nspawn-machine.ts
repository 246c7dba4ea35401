// systemd-nspawn machines for tests, never registered with machined and never in the
// root network namespace: nspawn itself runs inside a test namespace (`nsenter --net=`,
// which unlike `ip netns exec` keeps /sys/fs/cgroup) and the machine gets either its own
// namespace (`--network-namespace-path=`) or a zone (`--network-zone=`, inside a
// networkd sandbox through its nsenter options).
//
// Where /run is not a tmpfs nspawn leaves /run/systemd/nspawn/ behind; stop() and
// runNspawn() remove the machine's part of it, and the directories if nspawn made them.

import { existsSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { execa, type ResultPromise } from 'execa';
import { cleanupOnExit } from './exit-cleanup.js';
import { type Netns, netnsPathOf, nsenterArgs, uniqueNetnsName } from './netns.js';
import { signalGroup, stopGroup } from './process-group.js';

const nspawnRunDir = '/run/systemd/nspawn';
// Recorded before this process starts its first machine: only then are the directories ours to remove.
let nspawnRunDirExisted: boolean | undefined;

export interface NspawnOptions {
  /** Machine tree (see nspawn-root.ts). */
  root: string;
  /** Namespace nspawn runs in (a test's host namespace). */
  hostNetns?: Netns | string;
  /** Raw nsenter options instead of hostNetns, e.g. a networkd sandbox's nsenterOptions. */
  nsenter?: readonly string[];
  /** The machine's own network namespace. */
  machineNetns?: Netns | string;
  /** `--network-zone=`: the machine joins bridge vz-<zone> through a veth pair. */
  networkZone?: string;
  /** Run from a throwaway copy of `root`, so several machines can share one tree. */
  ephemeral?: boolean;
  /** Defaults to a unique `czt-<pid>-<n>-m` name. */
  machine?: string;
  extraArgs?: readonly string[];
}

/** `czt-<pid>-<n>-<role>`, from the same counter as the namespaces: a machine's netns is one of them. */
export function uniqueMachineName(role = 'm'): string {
  return uniqueNetnsName(role);
}

function enterArgs(options: NspawnOptions): string[] {
  if (options.nsenter) return [...options.nsenter, '--'];
  if (options.hostNetns !== undefined) return nsenterArgs(options.hostNetns);
  throw new Error('an nspawn machine needs hostNetns or nsenter: it never runs in the root namespace');
}

function nspawnArgs(machine: string, command: readonly string[], options: NspawnOptions): string[] {
  return [
    'systemd-nspawn',
    '--quiet',
    '--register=no',
    '--keep-unit',
    '--console=pipe',
    `--machine=${machine}`,
    `--directory=${options.root}`,
    ...(options.ephemeral ? ['--ephemeral'] : []),
    ...(options.machineNetns !== undefined ? [`--network-namespace-path=${netnsPathOf(options.machineNetns)}`] : []),
    ...(options.networkZone !== undefined ? [`--network-zone=${options.networkZone}`] : []),
    ...(options.extraArgs ?? []),
    ...command,
  ];
}

function noteRunDirState(): void {
  nspawnRunDirExisted ??= existsSync(nspawnRunDir);
}

/** Remove what nspawn leaves in /run/systemd/nspawn for `machine` (nothing when /run is a tmpfs it owns). */
export async function removeNspawnLeftovers(machine: string): Promise<void> {
  await rm(`${nspawnRunDir}/propagate/${machine}`, { recursive: true, force: true });
  if (nspawnRunDirExisted !== false) return;
  for (const dir of [`${nspawnRunDir}/propagate`, `${nspawnRunDir}/locks`, nspawnRunDir]) {
    // Not recursive: a directory still used by another machine is not empty and stays.
    await rmdir(dir).catch(() => undefined);
  }
}

// In its own process group: behind a forking nsenter (-p) only a group signal reaches nspawn.
const processOptions = { reject: false, stdin: 'ignore', detached: true } as const;
const stopGraceMs = 5_000;

function spawnNspawn(machine: string, command: readonly string[], options: NspawnOptions) {
  noteRunDirState();
  return execa('nsenter', [...enterArgs(options), ...nspawnArgs(machine, command, options)], processOptions);
}

/** Run `command` in a fresh machine and wait for it; never throws on a non-zero exit. */
export async function runNspawn(command: readonly string[], options: NspawnOptions & { timeoutMs?: number }) {
  const machine = options.machine ?? uniqueMachineName();
  const subprocess = spawnNspawn(machine, command, options);
  const cancelExitKill = cleanupOnExit(() => signalGroup(subprocess.pid, 'SIGKILL'));
  const timer = setTimeout(() => void stopGroup(subprocess, stopGraceMs), options.timeoutMs ?? 30_000);
  try {
    return await subprocess;
  } finally {
    clearTimeout(timer);
    cancelExitKill();
    await removeNspawnLeftovers(machine);
  }
}

export interface NspawnMachine {
  readonly machine: string;
  readonly process: ResultPromise<typeof processOptions>;
  /** SIGTERM to nspawn (it stops the machine, ~1.6 s), SIGKILL after 5 s, clean up; safe to call more than once. */
  stop(): Promise<void>;
}

/** Start a long-running machine (e.g. `httpd -f`); call stop(). */
export function startNspawn(command: readonly string[], options: NspawnOptions): NspawnMachine {
  const machine = options.machine ?? uniqueMachineName();
  const subprocess = spawnNspawn(machine, command, options);
  const cancelExitKill = cleanupOnExit(() => signalGroup(subprocess.pid, 'SIGKILL'));
  let stopped: Promise<void> | undefined;
  return {
    machine,
    process: subprocess,
    stop() {
      stopped ??= (async () => {
        await stopGroup(subprocess, stopGraceMs);
        cancelExitKill();
        await removeNspawnLeftovers(machine);
      })();
      return stopped;
    },
  };
}
