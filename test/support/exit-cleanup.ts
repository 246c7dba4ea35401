// Last-resort cleanup when a test process ends without running its hooks:
// normal exit, an uncaught error, SIGINT (Ctrl-C) or SIGTERM (vitest stopping a worker).
// Only synchronous work can run at that point, so every entry is a sync function
// (`ip netns del` through spawnSync, `process.kill`). SIGKILL cannot be caught; the
// global setup of the next run removes what such a run left behind.

import { isMainThread } from 'node:worker_threads';

type SyncCleanup = () => void;

const pending = new Set<SyncCleanup>();
let installed = false;

function runPendingCleanups(): void {
  for (const cleanup of [...pending].reverse()) {
    pending.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Best effort: the process is going away, and the next run's global setup checks.
    }
  }
}

function handleSignal(signal: NodeJS.Signals): void {
  runPendingCleanups();
  // Die the way the signal intended, unless someone else (vitest) also listens and decides.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runPendingCleanups);
  // Signals reach only the main thread; a worker thread ends with its process.
  if (!isMainThread) return;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, handleSignal);
}

/** Run `cleanup` if the process exits before the returned function is called to cancel it. */
export function cleanupOnExit(cleanup: SyncCleanup): () => void {
  installHandlers();
  pending.add(cleanup);
  return () => {
    pending.delete(cleanup);
  };
}
