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
// Enabled and started by units.ts.
import { type ExecWord, renderExecLine } from '../../../lib/nspawn/exec-line.js';
import { renderUnitFile, section } from '../../../lib/networkd/unit-file.js';

export const REPAIR_UNIT = 'cni-zones-repair.service';
const FLUSHERS = 'nftables.service firewalld.service';

/** The unit; `repair` is the command line of `zonectl repair` with its options. */
export function renderRepairUnit(repair: readonly ExecWord[]): string {
  const line = renderExecLine(repair);
  return renderUnitFile({
    comments: [
      'Written by zonectl install (or the cni-zones package). After a flush of the ruleset (nftables.service and firewalld.service',
      'start, restart or reload), put back the ports, [::1] proxies and masquerade cni-zones recorded.',
    ],
    sections: [
      section(
        'Unit',
        ['Description', 'cni-zones: restore published ports and masquerade after a ruleset flush'],
        ['Documentation', 'man:zonectl(8)'],
        ['After', FLUSHERS],
        ['PartOf', FLUSHERS],
        ['ReloadPropagatedFrom', FLUSHERS],
      ),
      section('Service', ['Type', 'oneshot'], ['RemainAfterExit', true], ['ExecStart', line], ['ExecReload', line]),
      section('Install', ['WantedBy', `multi-user.target ${FLUSHERS}`]),
    ],
  });
}
