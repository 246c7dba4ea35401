import { describe, expect, it } from 'vitest';
import { installationLine, installSource, type PackageOf, type ReadText } from '../../../../cli/zonectl/status/installation.js';

/** dpkg as it answers on a machine with the package installed. */
const dpkg: PackageOf = async (path) => (path === '/usr/lib/cni-zones/cni-zones' ? { package: 'cni-zones', version: '0.1.0' } : undefined);
const noDpkg: PackageOf = async () => undefined;

function files(entries: Record<string, string>): ReadText {
  return (path) => entries[path];
}

describe('installSource', () => {
  it('names the Debian package when dpkg says it holds the executable, with the version dpkg has', async () => {
    expect(await installSource('/usr/lib/cni-zones/cni-zones', files({}), dpkg)).toEqual({
      kind: 'package',
      package: 'cni-zones',
      version: '0.1.0',
    });
  });

  it('asks dpkg before guessing from the path', async () => {
    const packagedInBin: PackageOf = async () => ({ package: 'cni-zones' });
    expect(await installSource('/usr/bin/cni-zones', files({}), packagedInBin)).toEqual({ kind: 'package', package: 'cni-zones' });
  });

  it('names zonectl install and its LIB-DIR for LIB/bin', async () => {
    expect(await installSource('/opt/cni-zones/bin/cni-zones', files({}), noDpkg)).toEqual({
      kind: 'zonectl-install',
      libDir: '/opt/cni-zones',
    });
    expect(await installSource('/srv/cz/bin/zonectl', files({}), noDpkg)).toEqual({ kind: 'zonectl-install', libDir: '/srv/cz' });
  });

  it('names the checkout for dist/native and dist/bin of a cni-zones build tree', async () => {
    const read = files({ '/work/main/package.json': '{"name":"cni-zones","version":"0.1.0"}' });
    expect(await installSource('/work/main/dist/native/cni-zones', read, noDpkg)).toEqual({ kind: 'build-tree', checkout: '/work/main' });
    expect(await installSource('/work/main/dist/bin/zonectl', read, noDpkg)).toEqual({ kind: 'build-tree', checkout: '/work/main' });
  });

  it('does not call another project’s dist/bin a build tree of ours', async () => {
    const read = files({ '/src/other/package.json': '{"name":"other"}' });
    expect(await installSource('/src/other/dist/bin/zonectl', read, noDpkg)).toEqual({
      kind: 'zonectl-install',
      libDir: '/src/other/dist',
    });
  });

  it('says so when it cannot tell', async () => {
    expect(await installSource('/home/me/cni-zones', files({}), noDpkg)).toEqual({ kind: 'unknown' });
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
