// The pieces of the .deb packaging/ renders: control fields from the release version, maintainer
// scripts that dash parses and that enable every unit but start only the repair unit, a
// changelog dpkg-parsechangelog reads (dpkg-dev, which lintian depends on), and the layout's paths.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RELEASE_VERSION } from '../../lib/release/version.js';
import { renderControl } from '../../packaging/deb/control.js';
import { renderChangelog } from '../../packaging/deb/documents.js';
import { packageLayout, REPAIR } from '../../packaging/deb/layout.js';
import { renderPostinst, renderPostrm, renderPrerm } from '../../packaging/deb/maintainer-scripts.js';
import { makeTestTempDir } from '../support/paths.js';

const UNITS = [REPAIR, { name: 'cni-zones-gc.service', start: false }];
const EPOCH = 1_796_241_769;

describe('control', () => {
  it('names the release version, amd64 and the run-time dependencies', () => {
    const control = renderControl({ version: RELEASE_VERSION, installedSize: 111_243 });
    expect(control).toMatch(new RegExp(`^Version: ${RELEASE_VERSION.replaceAll('.', '\\.')}$`, 'm'));
    expect(control).toMatch(/^Architecture: amd64$/m);
    expect(control).toMatch(/^Installed-Size: 111243$/m);
    expect(control).toMatch(/^Depends: libc6 \(>= 2\.17\), libnftables1 \| nftables, iproute2$/m);
    // The long description's paragraphs: continuation lines start with a space, blank ones are " .".
    const description = control.slice(control.indexOf('Description:')).split('\n').slice(1, -1);
    expect(description.every((line) => line.startsWith(' ') && line.length <= 80)).toBe(true);
  });
});

describe('maintainer scripts', () => {
  const scripts = { postinst: renderPostinst(UNITS), prerm: renderPrerm(UNITS), postrm: renderPostrm(UNITS) };

  it.each(Object.entries(scripts))('%s is POSIX sh that dash parses, with set -e', (_name, script) => {
    const dir = makeTestTempDir('deb-scripts');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'script');
    writeFileSync(file, script);
    execFileSync('dash', ['-n', file]);
    expect(script.startsWith('#!/bin/sh\nset -e\n')).toBe(true);
    expect(script).not.toContain('/etc/cni/net.d');
  });

  it('enables both units and starts only the repair unit', () => {
    expect(scripts.postinst).toContain("for unit in 'cni-zones-repair.service' 'cni-zones-gc.service'; do");
    expect(scripts.postinst).toContain('for unit in \'cni-zones-repair.service\'; do\n\t\t\tdeb-systemd-invoke "$action"');
    expect(scripts.prerm).toContain("for unit in 'cni-zones-repair.service'; do");
    expect(scripts.postrm).toContain('deb-systemd-helper purge "$unit"');
  });
});

describe('changelog', () => {
  it('is one dpkg-parsechangelog reads, for the release version', () => {
    const dir = makeTestTempDir('deb-changelog');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'changelog');
    writeFileSync(file, renderChangelog(RELEASE_VERSION, EPOCH));
    const parsed = execFileSync('dpkg-parsechangelog', ['-l', file], { encoding: 'utf8' });
    expect(parsed).toMatch(new RegExp(`^Version: ${RELEASE_VERSION.replaceAll('.', '\\.')}$`, 'm'));
    expect(parsed).toMatch(/^Source: cni-zones$/m);
    expect(parsed).toMatch(/^Timestamp: 1796241769$/m);
  });

  it('refuses a version without an entry', () => {
    expect(() => renderChangelog('99.0.0', EPOCH)).toThrow(/no changelog entry for 99\.0\.0/);
  });
});

describe('layout', () => {
  it('puts the executable in /usr/lib/cni-zones and links everything else to it, relatively', () => {
    const entries = packageLayout({ version: RELEASE_VERSION, executable: '/x', exampleConfList: '{}', date: EPOCH, extras: [] });
    const links = Object.fromEntries(entries.flatMap((e) => (e.kind === 'symlink' ? [[e.path, e.target]] : [])));
    expect(links).toEqual({
      '/usr/lib/cni-zones/zone': 'cni-zones',
      '/usr/lib/cni-zones/zone-ipam': 'cni-zones',
      '/usr/lib/cni-zones/zone-ports': 'cni-zones',
      '/usr/lib/cni-zones/zonectl': 'cni-zones',
      '/usr/lib/cni/zone': '../cni-zones/zone',
      '/usr/lib/cni/zone-ipam': '../cni-zones/zone-ipam',
      '/usr/lib/cni/zone-ports': '../cni-zones/zone-ports',
      '/usr/sbin/zonectl': '../lib/cni-zones/zonectl',
    });
    expect(entries.find((e) => e.kind === 'copy')).toMatchObject({ path: '/usr/lib/cni-zones/cni-zones', source: '/x', mode: 0o755 });
    // Nothing in /opt (Debian policy: postinst makes the /opt/cni/bin links) or /etc.
    expect(entries.filter((e) => /^\/(opt|etc)\//.test(e.path))).toEqual([]);
  });
});
