// What /proc says about a process, for the helpers we leave running (the [::1] proxies of
// lib/proxy, the name servers of lib/dns): whether it runs, its environment (where our markers
// are), the network namespace it is in, and how it is stopped. Every read tolerates a process
// that just went.
import { readFileSync, readlinkSync } from 'node:fs';
import { CURRENT_NETNS_PATH } from '../netns/open.js';
import { waitLimit } from './budget.js';

/** The text of a /proc file, or undefined when it cannot be read (the process is gone). */
export function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Running, and not a zombie waiting for a parent that no longer reaps. */
export function isRunning(pid: number): boolean {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The process's environment (empty when it cannot be read). */
export function processEnvironment(pid: number): Map<string, string> {
  const text = readProc(`/proc/${pid}/environ`) ?? '';
  return new Map(
    text
      .split('\0')
      .filter((entry) => entry.includes('='))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] as [string, string]),
  );
}

/** Whether the process is in the network namespace we run in. */
export function inOurNetworkNamespace(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) === readlinkSync(CURRENT_NETNS_PATH);
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const POLL_MS = 2;

/** Poll `condition` until it holds or the (budgeted) cap passes; whether it held. */
export async function waitUntil(condition: () => boolean, capMs: number): Promise<boolean> {
  const until = Date.now() + waitLimit(capMs);
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= until) return false;
    await sleep(POLL_MS);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

/** SIGTERM, then SIGKILL when it still runs after `capMs`; waits (bounded) until it is gone. */
export async function terminate(pid: number, capMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitUntil(() => !isRunning(pid), capMs)) return;
  signal(pid, 'SIGKILL');
  await waitUntil(() => !isRunning(pid), capMs);
}
