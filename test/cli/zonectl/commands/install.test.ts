import { describe, expect, it } from 'vitest';
import { describeUnits, renderInstall } from '../../../../cli/zonectl/commands/install.js';
import type { InstallItem, InstallPlan } from '../../../../cli/zonectl/install/plan.js';

describe('renderInstall', () => {
  it('counts the library and names the executables and the conflist', () => {
    const link: InstallItem = { kind: 'symlink', target: '/opt/cni/bin/zone', linkTo: '/opt/cni-zones/bin/zone' };
    const conf: InstallItem = { kind: 'write', target: '/etc/cni/net.d/cni-zones.conflist', content: '{}' };
    const lib: InstallItem = { kind: 'copy', target: '/opt/cni-zones/bin/zone', source: '/x', executable: true };
    const plan: InstallPlan = { items: [lib, link, conf], visible: new Set([link.target, conf.target]), packages: ['koffi@3.3.4'] };
    const text = renderInstall(
      {
        libDir: '/opt/cni-zones',
        binDir: '/opt/cni/bin',
        sbinDir: '/usr/local/sbin',
        confDir: '/etc/cni/net.d',
        unitDir: '/etc/systemd/system',
      },
      plan,
      [
        { item: lib, action: 'installed' },
        { item: link, action: 'replaced' },
        { item: conf, action: 'unchanged' },
      ],
      ['cni-zones-repair.service: enabled'],
    );
    expect(text).toBe(
      [
        '/opt/cni-zones: 1 file (bundles and koffi@3.3.4), 1 written',
        '  /opt/cni/bin/zone -> /opt/cni-zones/bin/zone  replaced',
        '  /etc/cni/net.d/cni-zones.conflist             unchanged',
        'cni-zones-repair.service: enabled',
        'next: zonectl up MACHINE --network cni-zones   (or: zonectl nspawn enable MACHINE)',
        '',
      ].join('\n'),
    );
  });

  it('says the next step is a network when none was written', () => {
    const plan: InstallPlan = { items: [], visible: new Set(), packages: [] };
    const dirs = { libDir: '/L', binDir: '/B', sbinDir: '/S', confDir: '/etc/cni/net.d', unitDir: '/U' };
    expect(renderInstall(dirs, plan, [])).toContain(
      'next: write a network into /etc/cni/net.d (or run again with --example for "cni-zones"), then zonectl up MACHINE --network NAME',
    );
  });

  it('says what became of each unit, and what to run where one was not enabled', () => {
    expect(
      describeUnits([
        { unit: 'cni-zones-repair.service', outcome: { enabled: true, started: true } },
        { unit: 'cni-zones-gc.service', outcome: { enabled: true, started: false } },
      ]),
    ).toEqual([
      'cni-zones-repair.service: enabled and started (zonectl repair at boot and after nftables or firewalld start)',
      'cni-zones-gc.service: enabled (zonectl gc --boot at each boot)',
    ]);
    expect(
      describeUnits([
        {
          unit: 'cni-zones-gc.service',
          outcome: { enabled: false, why: 'systemd is not PID 1 here', next: 'where it is: systemctl enable x' },
        },
      ]),
    ).toEqual(['cni-zones-gc.service: written, not enabled (systemd is not PID 1 here); where it is: systemctl enable x']);
    expect(
      describeUnits([
        { unit: 'cni-zones-repair.service', outcome: { enabled: false, failed: 'systemctl start cni-zones-repair.service: Job failed' } },
      ]),
    ).toEqual([
      'cni-zones-repair.service: NOT enabled: systemctl start cni-zones-repair.service: Job failed',
      '  fix: systemctl status cni-zones-repair.service',
    ]);
  });
});
