import { describe, expect, it } from 'vitest';
import { renderInstall } from '../../../../cli/zonectl/commands/install.js';
import type { InstallItem, InstallPlan } from '../../../../cli/zonectl/install/plan.js';

describe('renderInstall', () => {
  it('counts the library and names the executables and the conflist', () => {
    const link: InstallItem = { kind: 'symlink', target: '/opt/cni/bin/zone', linkTo: '/opt/cni-zones/bin/zone' };
    const conf: InstallItem = { kind: 'write', target: '/etc/cni/net.d/cni-zones.conflist', content: '{}' };
    const lib: InstallItem = { kind: 'copy', target: '/opt/cni-zones/bin/zone', source: '/x', executable: true };
    const plan: InstallPlan = { items: [lib, link, conf], visible: new Set([link.target, conf.target]), packages: ['koffi@3.3.4'] };
    const text = renderInstall(
      { libDir: '/opt/cni-zones', binDir: '/opt/cni/bin', sbinDir: '/usr/local/sbin', confDir: '/etc/cni/net.d' },
      plan,
      [
        { item: lib, action: 'installed' },
        { item: link, action: 'replaced' },
        { item: conf, action: 'unchanged' },
      ],
    );
    expect(text).toBe(
      [
        '/opt/cni-zones: 1 file (bundles and koffi@3.3.4), 1 written',
        '  /opt/cni/bin/zone -> /opt/cni-zones/bin/zone  replaced',
        '  /etc/cni/net.d/cni-zones.conflist             unchanged',
        'next: zonectl up MACHINE --network cni-zones   (or: zonectl nspawn enable MACHINE)',
        '',
      ].join('\n'),
    );
  });
});
