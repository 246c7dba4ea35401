// Global setup of the e2e project (vitest.config.ts), run once around all e2e files:
// - before: remove what crashed earlier runs left (only `czt-` objects whose test
//   process is gone; a concurrent run's live namespaces are not ours), then
//   snapshot the root network namespace;
// - after: fail the run (exit code 1) if a namespace or networkd sandbox of this run is still
//   there (and remove it), if the root network namespace changed, or if /run/cni-zones, our
//   plugins' default state directories, holds something it did not hold before (listed, not
//   removed: nothing there says which run wrote it).
// Without root nothing privileged can have run, so both steps are skipped.

import { deleteNetns, listTestNetns } from './netns.js';
import {
  isOrphanedNetns,
  isOwnedByRun,
  killQuietly,
  leakedSandboxProcesses,
  listStateTree,
  pluginStateRoot,
  removeOrphanedLeftovers,
} from './leftovers.js';
import { isRoot } from './privileges.js';
import { diffSnapshots, type NamespaceSnapshot, snapshotRootNamespace } from './root-namespace.js';

let rootBefore: NamespaceSnapshot | undefined;
let namespacesBefore = new Set<string>();
let stateBefore = new Set<string>();

function report(what: string, items: readonly (string | number)[]): void {
  if (items.length > 0) console.warn(`[e2e global setup] removed ${what} left by an earlier run: ${items.join(', ')}`);
}

export async function setup(): Promise<void> {
  if (!isRoot()) return;
  const removed = await removeOrphanedLeftovers();
  report('network namespaces', removed.namespaces);
  report('networkd sandbox processes', removed.sandboxProcesses);
  report('networkd sandbox directories', removed.stateDirs);
  namespacesBefore = new Set(await listTestNetns());
  stateBefore = new Set(listStateTree());
  rootBefore = await snapshotRootNamespace();
}

async function removeLeakedNamespaces(): Promise<string[]> {
  // Ours: made by one of our workers, alive or crashed. A concurrent run's live namespaces are not.
  const leaked = (await listTestNetns()).filter(
    (name) => !namespacesBefore.has(name) && (isOwnedByRun(name, process.pid) || isOrphanedNetns(name)),
  );
  for (const name of leaked) await deleteNetns(name);
  return leaked;
}

function removeLeakedSandboxes(): number[] {
  const leaked = leakedSandboxProcesses(process.pid).map((p) => p.pid);
  leaked.forEach(killQuietly);
  return leaked;
}

export async function teardown(): Promise<void> {
  if (!isRoot() || rootBefore === undefined) return;
  const problems: string[] = [];
  const namespaces = await removeLeakedNamespaces();
  if (namespaces.length > 0) problems.push(`network namespaces left behind: ${namespaces.join(', ')}`);
  const sandboxes = removeLeakedSandboxes();
  if (sandboxes.length > 0) problems.push(`networkd sandbox processes left running: ${sandboxes.join(', ')}`);
  const state = listStateTree().filter((path) => !stateBefore.has(path));
  if (state.length > 0) {
    problems.push(`left in ${pluginStateRoot} (a configuration without a state directory of its own?): ${state.join(', ')}`);
  }
  const changes = diffSnapshots(rootBefore, await snapshotRootNamespace());
  if (changes.length > 0) problems.push(`the root network namespace changed:\n  ${changes.join('\n  ')}`);
  if (problems.length === 0) return;
  // Vitest 4 only logs an error thrown here ("error during close") and still exits 0.
  process.exitCode = 1;
  throw new Error(`e2e tests left the machine dirty:\n- ${problems.join('\n- ')}`);
}
