import { describe, expect, it } from 'vitest';
import { describeEnable, renderInstall } from '../../../../cli/zonectl/commands/install.js';
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

  it('says whether the repair unit was enabled, and what to run where it was not', () => {
    expect(describeEnable({ enabled: true })).toEqual([
      'cni-zones-repair.service: enabled and started (zonectl repair at boot and after nftables or firewalld start)',
    ]);
    expect(describeEnable({ enabled: false, why: 'systemd is not PID 1 here', next: 'where it is: systemctl enable x' })).toEqual([
      'cni-zones-repair.service: written, not enabled (systemd is not PID 1 here); where it is: systemctl enable x',
    ]);
    expect(describeEnable({ enabled: false, failed: 'systemctl start cni-zones-repair.service: Job failed' })).toEqual([
      'cni-zones-repair.service: NOT enabled: systemctl start cni-zones-repair.service: Job failed',
      '  fix: systemctl status cni-zones-repair.service',
    ]);
  });
});
