import { describe, expect, it } from 'vitest';
import { installationLine, installSource, type ReadText } from '../../../../cli/zonectl/status/installation.js';

const STATUS = `Package: libc6
Status: install ok installed
Version: 2.36-9+deb12u14

Package: cni-zones
Status: install ok installed
Architecture: amd64
Version: 0.1.0
Description: CNI plugins
 cni-zones puts containers
`;

function files(entries: Record<string, string>): ReadText {
  return (path) => entries[path];
}

describe('installSource', () => {
  it('names the Debian package when dpkg lists the executable, with the version dpkg has', () => {
    const read = files({
      '/var/lib/dpkg/info/cni-zones.list': '/.\n/usr\n/usr/lib/cni-zones\n/usr/lib/cni-zones/cni-zones\n/usr/lib/cni-zones/zonectl\n',
      '/var/lib/dpkg/status': STATUS,
    });
    expect(installSource('/usr/lib/cni-zones/cni-zones', read)).toEqual({ kind: 'package', package: 'cni-zones', version: '0.1.0' });
  });

  it('does not take a path dpkg only lists as a prefix of another', () => {
    const read = files({ '/var/lib/dpkg/info/cni-zones.list': '/usr/lib/cni-zones/cni-zones-old\n', '/var/lib/dpkg/status': STATUS });
    expect(installSource('/usr/lib/cni-zones/cni-zones', read)).toEqual({ kind: 'unknown' });
  });

  it('names zonectl install and its LIB-DIR for LIB/bin', () => {
    expect(installSource('/opt/cni-zones/bin/cni-zones', files({}))).toEqual({ kind: 'zonectl-install', libDir: '/opt/cni-zones' });
    expect(installSource('/srv/cz/bin/zonectl', files({}))).toEqual({ kind: 'zonectl-install', libDir: '/srv/cz' });
  });

  it('names the checkout for dist/native and dist/bin of a cni-zones build tree', () => {
    const read = files({ '/work/main/package.json': '{"name":"cni-zones","version":"0.1.0"}' });
    expect(installSource('/work/main/dist/native/cni-zones', read)).toEqual({ kind: 'build-tree', checkout: '/work/main' });
    expect(installSource('/work/main/dist/bin/zonectl', read)).toEqual({ kind: 'build-tree', checkout: '/work/main' });
  });

  it('does not call another project’s dist/bin a build tree of ours', () => {
    const read = files({ '/src/other/package.json': '{"name":"other"}' });
    expect(installSource('/src/other/dist/bin/zonectl', read)).toEqual({ kind: 'zonectl-install', libDir: '/src/other/dist' });
  });

  it('says so when it cannot tell', () => {
    expect(installSource('/home/me/cni-zones', files({}))).toEqual({ kind: 'unknown' });
  });
});

describe('installationLine', () => {
  it('is one line naming version, path and source', () => {
    expect(
      installationLine({
        version: '0.1.0',
        executable: '/usr/lib/cni-zones/cni-zones',
        source: { kind: 'package', package: 'cni-zones', version: '0.1.0' },
      }),
    ).toBe('zonectl 0.1.0 (/usr/lib/cni-zones/cni-zones), from the Debian package cni-zones 0.1.0');
    expect(
      installationLine({
        version: '0.1.0',
        executable: '/opt/cni-zones/bin/cni-zones',
        source: { kind: 'zonectl-install', libDir: '/opt/cni-zones' },
      }),
    ).toBe('zonectl 0.1.0 (/opt/cni-zones/bin/cni-zones), installed by "zonectl install" into /opt/cni-zones');
  });
});
