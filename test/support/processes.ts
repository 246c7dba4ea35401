// Facts about processes from /proc: is it alive, who started it, when.
// Used to tell our own leftovers from those of another test run on the same machine.

import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

// USER_HZ is 100 on every Linux ABI Node supports; /proc/PID/stat counts in it.
const clockTicksPerSecond = 100;

interface ProcStat {
  state: string;
  parentPid: number;
  startTicks: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    state: fields[0] ?? '?',
    parentPid: Number(fields[1]),
    startTicks: Number(fields[19]),
  };
}

/** Alive and not a zombie (a zombie has finished; only its exit status is left). */
export function isProcessAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

function parentPidOf(pid: number): number | undefined {
  return readProcStat(pid)?.parentPid;
}

function bootTimeMs(): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('btime '));
  return Number(line?.split(' ')[1]) * 1000;
}

/** Wall-clock start time of a process, in ms since the epoch (10 ms resolution). */
export function processStartTimeMs(pid: number): number | undefined {
  const stat = readProcStat(pid);
  return stat && bootTimeMs() + (stat.startTicks * 1000) / clockTicksPerSecond;
}

export function isDescendantOf(pid: number, ancestor: number): boolean {
  for (let current: number | undefined = pid; current !== undefined && current > 1; current = parentPidOf(current)) {
    if (current === ancestor) return true;
  }
  return false;
}

export interface ProcessInfo {
  pid: number;
  args: string[];
}

/** All processes visible in /proc with their argv (kernel threads have none and are left out). */
export function listProcesses(): ProcessInfo[] {
  const pids = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
  return pids.flatMap((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
      return args.length > 0 ? [{ pid, args }] : [];
    } catch {
      return [];
    }
  });
}

/** The pids of processes in the network namespace `nsPath` for which `matches` holds. */
function processesIn(nsPath: string, matches: (pid: string) => boolean): number[] {
  const link = `net:[${statSync(nsPath).ino}]`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`) === link && matches(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The pids of the [::1] proxies (systemd-socket-proxyd) whose network namespace is `nsPath`. */
export function proxiesIn(nsPath: string): number[] {
  return processesIn(nsPath, (pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('systemd-socket'));
}

/** The pids of the zone name servers we started as processes (marked CNI_ZONES_DNS) in `nsPath`. */
export function nameServersIn(nsPath: string): number[] {
  return processesIn(nsPath, (pid) =>
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .some((variable) => variable.startsWith('CNI_ZONES_DNS=')),
  );
}
