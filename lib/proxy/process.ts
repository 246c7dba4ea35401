// The proxy as a process of ours, where no systemd manages our namespace: systemd-socket-proxyd
// started detached (a session of its own, so the runtime's process group and our exit do not
// take it along), given the [::1] listener we bound as its socket-activation descriptor (fd 3,
// LISTEN_FDS=1). It carries a marker in its environment, so DEL and GC find it by that alone
// when a kill left its pid unrecorded; a recorded pid is only trusted while it carries the marker.
import { readdirSync, readlinkSync } from 'node:fs';
import { CURRENT_NETNS_PATH } from '../netns/open.js';
import { startDetached } from '../system/process.js';
import { findExecutable } from '../system/programs.js';
import { ProxyError } from './errors.js';
import { isRunning, processEnvironment, readProc, terminate, waitUntil } from '../system/proc.js';
import type { Listener } from './listener.js';

const PROXY_PROGRAM = 'systemd-socket-proxyd';
/** The environment variable that marks a proxy as ours: its value names the attachment and port. */
export const MARKER_VARIABLE = 'CNI_ZONES_PROXY';

// sd_listen_fds(3) only takes the descriptors when LISTEN_PID is the process's own pid, which
// is known only once it runs: a shell sets it and execs the proxy in its place (same pid).
const SET_LISTEN_PID = 'LISTEN_PID=$$ exec "$0" "$@"';

const STARTED_WAIT_MS = 2_000;
const STOPPED_WAIT_MS = 2_000;

/**
 * The proxy's argument for `target` (`10.89.0.5:80`, `[fd89::5]:80`): it splits host and port
 * at the last colon and does not take brackets (systemd 252), so an IPv6 address goes bare.
 */
export function proxydTarget(target: string): string {
  return target.replace(/^\[(.*)\]:(\d+)$/, '$1:$2');
}

export function proxyProgram(): string {
  const found = findExecutable(PROXY_PROGRAM);
  if (found === undefined) {
    throw new ProxyError(
      'unavailable',
      `${PROXY_PROGRAM} is not installed: [::1] cannot be published`,
      'it ships with systemd (Debian: the systemd package)',
    );
  }
  return found;
}

/** The process with `pid`, when it is alive and carries `marker`. */
export function isMarkedProxy(pid: number, marker: string): boolean {
  return isRunning(pid) && processEnvironment(pid).get(MARKER_VARIABLE) === marker;
}

/** Start a proxy forwarding the connections of `listener` to `target` (`10.89.0.5:80`, `[fd89::5]:80`); its pid. */
export async function spawnProxy(listener: Listener, target: string, marker: string): Promise<number> {
  const program = proxyProgram();
  let pid: number;
  try {
    pid = await startDetached('/bin/sh', ['-c', SET_LISTEN_PID, program, proxydTarget(target)], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LISTEN_FDS: '1', [MARKER_VARIABLE]: marker },
      passFds: [listener.fd],
    });
  } catch (e) {
    throw new ProxyError('start-failed', `cannot start ${program}: ${(e as Error).message}`, '', { cause: e });
  }
  const execed = await waitUntil(() => (readProc(`/proc/${pid}/comm`) ?? '').startsWith(PROXY_PROGRAM.slice(0, 15)), STARTED_WAIT_MS);
  if (!execed || !isRunning(pid)) {
    await terminate(pid, STOPPED_WAIT_MS);
    throw new ProxyError('start-failed', `${program} for ${target} did not start`);
  }
  return pid;
}

/** Stop the marked proxy `pid`, waiting (bounded) until its listener is closed; nothing when it is not ours. */
export async function stopProxy(pid: number, marker: string): Promise<void> {
  if (!isMarkedProxy(pid, marker)) return;
  await terminate(pid, STOPPED_WAIT_MS);
}

/** The proxy, or the shell about to become it: the only processes whose environment is read. */
function mayBeProxy(pid: string): boolean {
  const command = (readProc(`/proc/${pid}/comm`) ?? '').trim();
  return command === 'sh' || PROXY_PROGRAM.startsWith(command);
}

/** Proxies of ours in this network namespace whose marker `matches`: pid and marker. */
export function findMarkedProxies(matches: (marker: string) => boolean): { pid: number; marker: string }[] {
  const ours = readlinkSync(CURRENT_NETNS_PATH);
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && mayBeProxy(name))
    .flatMap((name) => {
      const marker = processEnvironment(Number(name)).get(MARKER_VARIABLE);
      if (marker === undefined || !matches(marker)) return [];
      try {
        if (readlinkSync(`/proc/${name}/ns/net`) !== ours || !isRunning(Number(name))) return [];
      } catch {
        return [];
      }
      return [{ pid: Number(name), marker }];
    });
}
