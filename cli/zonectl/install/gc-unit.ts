// cni-zones-gc.service, which `zonectl install` and the Debian package install: `zonectl gc
// --boot` once at boot, releasing the addresses, port records, names and cache entries of
// attachments an earlier boot left (their namespaces did not survive it).
//   RequiresMountsFor=  the runtimes' result cache (/var/lib/cni, the IPAM stores under it)
//                 and our records in /run must be mounted first (/var may be its own file system);
//   Before=       the container runtimes and the machines, so what they start finds the old
//                 addresses and ports free. The nspawn machines themselves (systemd-nspawn@.service)
//                 are only ordered Before=machines.target, never after it, and a template cannot be
//                 named here: a machine may start while GC runs. That is safe, not only tidy: GC
//                 --boot never touches an attachment of this boot (its records carry this boot's ID);
//   TimeoutStartSec= the runtimes wait for us: a hung GC must not hold them for ever;
//   WantedBy=     multi-user.target, which Wants (not Requires) it: a failed GC shows in
//                 `systemctl --failed` but fails nothing else of the boot.
import { type ExecWord, renderExecLine } from '../../../lib/nspawn/exec-line.js';
import { renderUnitFile, section } from '../../../lib/networkd/unit-file.js';

export const GC_UNIT = 'cni-zones-gc.service';

const RUNTIMES = 'containerd.service crio.service podman.service podman-restart.service kubelet.service machines.target';
const STATE_MOUNTS = '/var/lib/cni /run';
const TIMEOUT = '2min';

/** The unit; `zonectl` runs zonectl (`/usr/sbin/zonectl`), `options` follow `gc --boot` (`--conf-dir DIR`). */
export function renderGcUnit(zonectl: readonly ExecWord[], options: readonly ExecWord[] = []): string {
  return renderUnitFile({
    comments: [
      'Written by zonectl install (or the cni-zones package). At boot, release what attachments of',
      'earlier boots left behind: addresses, published ports, names and runtime cache entries.',
    ],
    sections: [
      section(
        'Unit',
        ['Description', 'cni-zones: release what attachments of earlier boots left'],
        ['Documentation', 'man:zonectl(8)'],
        ['RequiresMountsFor', STATE_MOUNTS],
        ['After', 'local-fs.target'],
        ['Before', RUNTIMES],
      ),
      section(
        'Service',
        ['Type', 'oneshot'],
        ['ExecStart', renderExecLine([...zonectl, 'gc', '--boot', ...options])],
        ['TimeoutStartSec', TIMEOUT],
      ),
      section('Install', ['WantedBy', 'multi-user.target']),
    ],
  });
}
