import { describe, expect, it } from 'vitest';
import { GC_UNIT, renderGcUnit } from '../../../../cli/zonectl/install/gc-unit.js';
import { parseUnitFile, valuesOf } from '../../../../lib/networkd/unit-file.js';

describe('renderGcUnit', () => {
  it('runs zonectl gc --boot once at boot, once the state is mounted, before the runtimes, without failing the boot', () => {
    expect(GC_UNIT).toBe('cni-zones-gc.service');
    const unit = parseUnitFile(renderGcUnit(['/usr/sbin/zonectl']));
    const value = (section: string, key: string) => valuesOf(unit, section, key);
    expect(value('Service', 'Type')).toEqual(['oneshot']);
    expect(value('Service', 'ExecStart')).toEqual(['/usr/sbin/zonectl gc --boot']);
    expect(value('Service', 'TimeoutStartSec')).toEqual(['2min']);
    expect(value('Unit', 'RequiresMountsFor')).toEqual(['/var/lib/cni /run']);
    expect(value('Unit', 'Before')[0]?.split(' ')).toEqual(
      expect.arrayContaining(['containerd.service', 'crio.service', 'podman-restart.service', 'kubelet.service', 'machines.target']),
    );
    expect(value('Unit', 'Documentation')).toEqual(['man:zonectl(8)']);
    // Wanted, not required: a failed GC shows, and fails nothing else.
    expect(value('Install', 'WantedBy')).toEqual(['multi-user.target']);
    expect(value('Install', 'RequiredBy')).toEqual([]);
  });

  it('passes the options after gc --boot, quoted for systemd', () => {
    const unit = parseUnitFile(renderGcUnit(['/opt/cni-zones/bin/cni-zones', 'zonectl'], ['--conf-dir', '/etc/my net']));
    expect(valuesOf(unit, 'Service', 'ExecStart')).toEqual(['/opt/cni-zones/bin/cni-zones zonectl gc --boot --conf-dir "/etc/my net"']);
  });
});
