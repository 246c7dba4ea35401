// cni-zones-repair.service, which `zonectl install` writes: `zonectl repair` at boot and each
// time nftables.service or firewalld.service starts, restarts or reloads, since each of those
// may flush the ruleset and our table with it.
//   After=        runs once their ruleset is loaded, not before it is flushed;
//   PartOf=       their stop and restart are propagated to this unit (restart as try-restart,
//                 which only acts on an active unit: hence RemainAfterExit=yes);
//   ReloadPropagatedFrom=  their reload (Debian's nftables.service reloads by loading
//                 /etc/nftables.conf, which starts with `flush ruleset`) reloads this unit,
//                 and ExecReload= repairs again;
//   WantedBy=     multi-user.target for boot, and the two services, so starting either (after
//                 a stop, or for the first time) starts this unit too.
// Enabled with systemctl where systemd is PID 1 and reads the unit directory; elsewhere the
// file is only written, and the report says what to run.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ExecWord, renderExecLine } from '../../../lib/nspawn/exec-line.js';
import { renderUnitFile, section } from '../../../lib/networkd/unit-file.js';
import { runProcess } from '../../../lib/system/process.js';
import { findExecutable } from '../../../lib/system/programs.js';

export const REPAIR_UNIT = 'cni-zones-repair.service';
const FLUSHERS = 'nftables.service firewalld.service';

/** The directories systemd (PID 1, system instance) reads units from. */
const SYSTEM_UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

/** The unit; `repair` is the command line of `zonectl repair` with its options. */
export function renderRepairUnit(repair: readonly ExecWord[]): string {
  const line = renderExecLine(repair);
  return renderUnitFile({
    comments: [
      'Written by zonectl install. After a flush of the ruleset (nftables.service and firewalld.service',
      'start, restart or reload), put back the ports, [::1] proxies and masquerade cni-zones recorded.',
    ],
    sections: [
      section(
        'Unit',
        ['Description', 'cni-zones: restore published ports and masquerade after a ruleset flush'],
        ['After', FLUSHERS],
        ['PartOf', FLUSHERS],
        ['ReloadPropagatedFrom', FLUSHERS],
      ),
      section('Service', ['Type', 'oneshot'], ['RemainAfterExit', true], ['ExecStart', line], ['ExecReload', line]),
      section('Install', ['WantedBy', `multi-user.target ${FLUSHERS}`]),
    ],
  });
}

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

export type EnableOutcome = { enabled: true } | { enabled: false; why: string; next: string } | { enabled: false; failed: string };

/** daemon-reload, enable and start the unit, when systemd runs here and reads `unitDir`. */
export async function enableRepairUnit(unitDir: string, systemd: Systemd = systemSystemd): Promise<EnableOutcome> {
  const next = `systemctl daemon-reload && systemctl enable --now ${REPAIR_UNIT}`;
  if (!SYSTEM_UNIT_DIRS.includes(resolve(unitDir))) {
    return {
      enabled: false,
      why: `systemd does not read units from ${unitDir}`,
      next: `systemctl link ${join(resolve(unitDir), REPAIR_UNIT)} && ${next}`,
    };
  }
  if (!systemd.running()) return { enabled: false, why: 'systemd is not PID 1 here', next: `where it is: ${next}` };
  for (const args of [['daemon-reload'], ['enable', REPAIR_UNIT], ['start', REPAIR_UNIT]]) {
    const result = await systemd.systemctl(args);
    if (result.exitCode !== 0)
      return { enabled: false, failed: `systemctl ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}` };
  }
  return { enabled: true };
}
