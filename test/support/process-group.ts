// Stopping commands that run behind `nsenter -p` (networkd sandbox, nspawn in it):
// nsenter must fork to enter a pid namespace, then only waits for its child and passes
// no signal on. Killing nsenter would leave the command running and holding our pipes,
// so such commands start in a process group of their own (execa `detached: true`)
// and are signalled as a group.

const exitPollMs = 10;

export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Kill the group of `subprocess` with SIGKILL after `ms` unless it has finished; returns a flag set when it did. */
export function killGroupAfter(subprocess: { pid?: number; then: PromiseLike<unknown>['then'] }, ms: number): { fired: boolean } {
  const state = { fired: false };
  const timer = setTimeout(() => {
    state.fired = true;
    signalGroup(subprocess.pid, 'SIGKILL');
  }, ms);
  const clear = () => clearTimeout(timer);
  subprocess.then(clear, clear);
  return state;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM to the group, SIGKILL after `graceMs`, then wait for the subprocess. */
export async function stopGroup(subprocess: PromiseLike<unknown> & { pid?: number }, graceMs: number): Promise<void> {
  let finished = false;
  const done = Promise.resolve(subprocess).then(
    () => (finished = true),
    () => (finished = true),
  );
  signalGroup(subprocess.pid, 'SIGTERM');
  for (let waited = 0; !finished && waited < graceMs; waited += exitPollMs) await sleep(exitPollMs);
  if (!finished) signalGroup(subprocess.pid, 'SIGKILL');
  await done;
}
