import { describe, expect, it } from 'vitest';
import { enableRepairUnit, renderRepairUnit, type Systemd } from '../../../../cli/zonectl/install/repair-unit.js';
import { parseUnitFile, valuesOf } from '../../../../lib/networkd/unit-file.js';

function fakeSystemd(running: boolean, failing?: string): Systemd & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    running: () => running,
    async systemctl(args) {
      calls.push(args.join(' '));
      return args[0] === failing ? { exitCode: 1, stderr: 'Job failed.\n' } : { exitCode: 0, stderr: '' };
    },
  };
}

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

describe('enableRepairUnit', () => {
  it('reloads, enables and starts the unit where systemd is PID 1 and reads the directory', async () => {
    const systemd = fakeSystemd(true);
    expect(await enableRepairUnit('/etc/systemd/system', systemd)).toEqual({ enabled: true });
    expect(systemd.calls).toEqual(['daemon-reload', 'enable cni-zones-repair.service', 'start cni-zones-repair.service']);
  });

  it('only writes the unit without systemd, or into a directory systemd does not read', async () => {
    const none = fakeSystemd(false);
    expect(await enableRepairUnit('/etc/systemd/system', none)).toMatchObject({ enabled: false, why: 'systemd is not PID 1 here' });
    const elsewhere = fakeSystemd(true);
    expect(await enableRepairUnit('/tmp/units', elsewhere)).toMatchObject({
      enabled: false,
      why: 'systemd does not read units from /tmp/units',
      next: 'systemctl link /tmp/units/cni-zones-repair.service && systemctl daemon-reload && systemctl enable --now cni-zones-repair.service',
    });
    expect([...none.calls, ...elsewhere.calls]).toEqual([]);
  });

  it('stops at the first systemctl that fails and says which', async () => {
    const systemd = fakeSystemd(true, 'enable');
    expect(await enableRepairUnit('/etc/systemd/system', systemd)).toEqual({
      enabled: false,
      failed: 'systemctl enable cni-zones-repair.service: Job failed.',
    });
    expect(systemd.calls).toEqual(['daemon-reload', 'enable cni-zones-repair.service']);
  });
});
