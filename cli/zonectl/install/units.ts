// Enabling the units `zonectl install` writes (repair-unit.ts, gc-unit.ts): one daemon-reload,
// then each unit enabled, and started when it should run now too. Done with systemctl where
// systemd is PID 1 and reads the unit directory; elsewhere the files are only written, and the
// report says what to run.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runProcess } from '../../../lib/system/process.js';
import { findExecutable } from '../../../lib/system/programs.js';

/** The directories systemd (PID 1, system instance) reads units from. */
const SYSTEM_UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

/** What enabling needs from the machine; the system's below, a stand-in in unit tests. */
export interface Systemd {
  /** systemd is PID 1 here. */
  running(): boolean;
  systemctl(args: readonly string[]): Promise<{ exitCode: number | undefined; stderr: string }>;
}

const systemSystemd: Systemd = {
  running() {
    try {
      return existsSync('/run/systemd/system') && readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
    } catch {
      return false;
    }
  },
  async systemctl(args) {
    const result = await runProcess(findExecutable('systemctl') ?? 'systemctl', args, { timeoutMs: 60_000 });
    return { exitCode: result.exitCode, stderr: result.stderr };
  },
};

export interface UnitToEnable {
  name: string;
  /** Start it now as well (the repair unit); a unit for boot time is only enabled. */
  start: boolean;
}

export type EnableOutcome =
  | { enabled: true; started: boolean }
  | { enabled: false; why: string; next: string }
  | { enabled: false; failed: string };

export interface UnitOutcome {
  unit: string;
  outcome: EnableOutcome;
}

function enableCommand(unit: UnitToEnable): string {
  return `systemctl enable ${unit.start ? '--now ' : ''}${unit.name}`;
}

async function systemctl(systemd: Systemd, args: readonly string[]): Promise<string | undefined> {
  const result = await systemd.systemctl(args);
  return result.exitCode === 0 ? undefined : `systemctl ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
}

/** daemon-reload, then enable (and start) each unit, when systemd runs here and reads `unitDir`. */
export async function enableUnits(
  unitDir: string,
  units: readonly UnitToEnable[],
  systemd: Systemd = systemSystemd,
): Promise<UnitOutcome[]> {
  const dir = resolve(unitDir);
  if (!SYSTEM_UNIT_DIRS.includes(dir)) {
    const why = `systemd does not read units from ${unitDir}`;
    return units.map((u) => ({
      unit: u.name,
      outcome: { enabled: false, why, next: `systemctl link ${join(dir, u.name)} && systemctl daemon-reload && ${enableCommand(u)}` },
    }));
  }
  if (!systemd.running()) {
    const why = 'systemd is not PID 1 here';
    return units.map((u) => ({
      unit: u.name,
      outcome: { enabled: false, why, next: `where it is: systemctl daemon-reload && ${enableCommand(u)}` },
    }));
  }
  const reload = await systemctl(systemd, ['daemon-reload']);
  if (reload) return units.map((u) => ({ unit: u.name, outcome: { enabled: false, failed: reload } }));
  const outcomes: UnitOutcome[] = [];
  for (const unit of units) {
    const failed =
      (await systemctl(systemd, ['enable', unit.name])) ?? (unit.start ? await systemctl(systemd, ['start', unit.name]) : undefined);
    outcomes.push({ unit: unit.name, outcome: failed ? { enabled: false, failed } : { enabled: true, started: unit.start } });
  }
  return outcomes;
}
