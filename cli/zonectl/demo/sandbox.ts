// The demo's private sandbox, seen from outside: zonectl runs itself again as PID 1 of new
// network, mount and pid namespaces (`unshare --net --mount --pid --fork --kill-child`).
// Nothing it does reaches the host's network namespace, and when it ends, for whatever
// reason, the kernel takes every process, interface and mount inside with it. setpriv's
// parent-death signal makes sure it ends when this process is killed.
import { spawn } from 'node:child_process';
import { CommandError } from '../errors.js';
import { findExecutable } from '../../../lib/system/programs.js';
import { selfInvocation } from '../self.js';

export const SANDBOX_COMMAND = '__demo-sandbox';

function requireTool(name: string, pkg: string): string {
  const path = findExecutable(name);
  if (!path) throw new CommandError(`the demo needs ${name}`, `install ${pkg}: apt-get install ${pkg} (make deps does)`);
  return path;
}

/** Run `zonectl __demo-sandbox ARGS` in its own namespaces, stdio shared; resolves with its exit code. */
export function runSandboxed(args: readonly string[]): Promise<number> {
  const setpriv = requireTool('setpriv', 'util-linux');
  const unshare = requireTool('unshare', 'util-linux');
  const argv = [
    '--pdeathsig',
    'KILL',
    '--',
    unshare,
    '--net',
    '--mount',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    '--propagation',
    'private',
    '--',
    ...selfInvocation(),
    SANDBOX_COMMAND,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(setpriv, argv, { stdio: 'inherit' });
    // Ctrl-C reaches the whole foreground group; a SIGTERM to us is passed on. The sandbox's
    // PID 1 handles both by cleaning up; a second signal kills it outright.
    let signals = 0;
    const forward = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signal === 'SIGTERM' || signals > 1) child.kill(signals > 1 ? 'SIGKILL' : 'SIGTERM');
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (e) => reject(new CommandError(`cannot start the sandbox: ${e.message}`, 'run the demo as root on Linux')));
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 9 : 1));
    });
  });
}
