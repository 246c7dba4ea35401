import { describe, expect, it } from 'vitest';
import { renderRepairUnit } from '../../../../cli/zonectl/install/repair-unit.js';
import { parseUnitFile, valuesOf } from '../../../../lib/networkd/unit-file.js';

describe('renderRepairUnit', () => {
  it('runs zonectl repair at boot and with every start, restart and reload of nftables and firewalld', () => {
    const unit = parseUnitFile(renderRepairUnit(['/opt/cni-zones/bin/cni-zones', 'zonectl', 'repair', '--conf-dir', '/etc/my net']));
    const value = (section: string, key: string) => valuesOf(unit, section, key);
    expect(value('Unit', 'After')).toEqual(['nftables.service firewalld.service']);
    expect(value('Unit', 'PartOf')).toEqual(['nftables.service firewalld.service']);
    expect(value('Unit', 'ReloadPropagatedFrom')).toEqual(['nftables.service firewalld.service']);
    expect(value('Service', 'Type')).toEqual(['oneshot']);
    // PartOf= propagates a restart as try-restart: only an active unit runs again.
    expect(value('Service', 'RemainAfterExit')).toEqual(['yes']);
    const line = '/opt/cni-zones/bin/cni-zones zonectl repair --conf-dir "/etc/my net"';
    expect(value('Service', 'ExecStart')).toEqual([line]);
    expect(value('Service', 'ExecReload')).toEqual([line]);
    expect(value('Install', 'WantedBy')).toEqual(['multi-user.target nftables.service firewalld.service']);
  });
});
