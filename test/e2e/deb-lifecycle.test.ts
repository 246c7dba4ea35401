// The Debian package's whole life in a booted Debian 12 machine (systemd as PID 1, its root a
// throwaway overlay): install puts every file where packaging/deb/layout.ts says, the plugins
// answer VERSION from /usr/lib/cni and /opt/cni/bin, zonectl names the package's version, the
// units are enabled (the repair unit running) and systemd-analyze verify finds nothing; an
// install over itself changes nothing; remove takes the program, links and units away; purge
// leaves the file list and the unit-file states exactly as before the install. A second case
// starts with /opt/cni/bin holding another plugin and a foreign file named zone: both stay; a
// third with /opt/cni/bin a link to /usr/lib/cni: nothing is added through it.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { VERSION } from '../../cli/zonectl/version.js';
import { debFileName } from '../../packaging/deb/build.js';
import { repoRoot } from '../support/paths.js';
import { bootSystemdMachine, type SystemdMachine, systemdMachineSuite } from '../support/systemd-machine.js';

const suite = systemdMachineSuite();
const deb = join(repoRoot, 'dist', 'deb', debFileName(VERSION));
const DEB_IN_MACHINE = `/srv/deb/${debFileName(VERSION)}`;
const UNITS = ['cni-zones-repair.service', 'cni-zones-gc.service'];
const PLUGINS = ['zone', 'zone-ipam', 'zone-ports'];

// Left out of the before/after file list, each because it changes for reasons other than the package:
const VOLATILE = [
  '/var/log', // dpkg.log, the journal, apt's logs
  '/var/cache', // apt and debconf caches, ldconfig's aux cache
  '/var/lib/dpkg', // dpkg's own bookkeeping (status, status-old, triggers); the package's info files are checked apart
  '/var/lib/systemd/random-seed', // rewritten by systemd
  '/var/lib/systemd/timers', // timer stamps
  '/tmp',
  '/var/tmp',
  '/root/.cache',
];

/**
 * Every path on the root file system (find -xdev: /proc, /sys, /dev, /run and the bound package
 * are mounts of their own) with its type, mode and link target.
 */
async function fileList(machine: SystemdMachine): Promise<string[]> {
  const prune = VOLATILE.map((p) => `-path ${p}`).join(' -o ');
  const { stdout } = await machine.exec('sh', ['-c', `find / -xdev \\( ${prune} \\) -prune -o -printf '%p %y %m %l\\n' | LC_ALL=C sort`], {
    timeoutMs: 60_000,
  });
  return stdout.split('\n');
}

async function unitFiles(machine: SystemdMachine): Promise<string> {
  return (await machine.exec('systemctl', ['list-unit-files', '--no-legend', '--no-pager'])).stdout;
}

async function snapshot(machine: SystemdMachine) {
  return { files: await fileList(machine), units: await unitFiles(machine) };
}

/** Lines only in `after`, and lines only in `before`. */
function difference(before: string[], after: string[]) {
  const had = new Set(before);
  const has = new Set(after);
  return { added: after.filter((l) => !had.has(l)), removed: before.filter((l) => !has.has(l)) };
}

async function sh(machine: SystemdMachine, script: string, timeoutMs = 120_000) {
  return machine.exec('sh', ['-c', script], { reject: false, timeoutMs });
}

async function dpkg(machine: SystemdMachine, args: string): Promise<string> {
  const result = await sh(machine, `dpkg ${args} 2>&1`);
  expect(result.exitCode, `dpkg ${args}:\n${result.stdout}`).toBe(0);
  return result.stdout;
}

async function readlink(machine: SystemdMachine, path: string): Promise<string> {
  return (await sh(machine, `readlink ${path}`)).stdout.trim();
}

async function versionOf(machine: SystemdMachine, plugin: string) {
  const result = await sh(machine, `echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION ${plugin}`);
  expect(result.exitCode, `${plugin} VERSION: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as { cniVersion: string; supportedVersions: string[]; cniZonesVersion: string };
}

async function bootWithPackage(): Promise<SystemdMachine> {
  if (!existsSync(deb)) throw new Error(`${deb} is missing: run "make deb"`);
  const machine = await bootSystemdMachine({ bindReadOnly: [{ host: dirname(deb), machine: '/srv/deb' }] });
  onTestFinished(() => machine.stop());
  return machine;
}

async function expectInstalled(machine: SystemdMachine): Promise<void> {
  expect((await sh(machine, 'test -x /usr/lib/cni-zones/cni-zones && test -f /usr/lib/cni-zones/cni-zones')).exitCode).toBe(0);
  for (const role of [...PLUGINS, 'zonectl']) expect(await readlink(machine, `/usr/lib/cni-zones/${role}`)).toBe('cni-zones');
  for (const plugin of PLUGINS) {
    expect(await readlink(machine, `/usr/lib/cni/${plugin}`)).toBe(`../cni-zones/${plugin}`);
    expect(await readlink(machine, `/opt/cni/bin/${plugin}`)).toBe(`/usr/lib/cni-zones/${plugin}`);
    for (const dir of ['/usr/lib/cni', '/opt/cni/bin']) {
      const info = await versionOf(machine, `${dir}/${plugin}`);
      expect(info.cniVersion).toBe('1.0.0');
      expect(info.supportedVersions).toContain('1.1.0');
      expect(info.cniZonesVersion).toBe(VERSION);
    }
  }
  expect(await readlink(machine, '/usr/sbin/zonectl')).toBe('../lib/cni-zones/zonectl');
  expect((await sh(machine, 'zonectl --version')).stdout).toContain(VERSION);
  for (const path of [
    '/usr/share/doc/cni-zones/copyright',
    '/usr/share/doc/cni-zones/changelog.gz',
    '/usr/share/doc/cni-zones/examples/cni-zones.conflist',
    '/usr/share/man/man8/zonectl.8.gz',
    '/usr/share/man/man7/cni-zones.7.gz',
    '/usr/share/bash-completion/completions/zonectl',
  ]) {
    expect((await sh(machine, `test -s ${path}`)).exitCode, path).toBe(0);
  }
  // The package never writes a network: that is the admin's choice.
  expect((await sh(machine, 'ls /etc/cni/net.d 2>/dev/null')).stdout).toBe('');
  for (const unit of UNITS) {
    expect((await sh(machine, `systemctl is-enabled ${unit}`)).stdout.trim(), unit).toBe('enabled');
  }
  expect((await sh(machine, 'systemctl is-active cni-zones-repair.service')).stdout.trim()).toBe('active');
  // The GC unit is for boot: installing does not run it.
  expect((await sh(machine, 'systemctl is-active cni-zones-gc.service')).stdout.trim()).toBe('inactive');
  // --man=no: the machine has no man-db to look Documentation=man:zonectl(8) up with; the page
  // itself is checked above.
  const verify = await sh(machine, `systemd-analyze verify --man=no ${UNITS.map((u) => `/lib/systemd/system/${u}`).join(' ')} 2>&1`);
  expect(verify.exitCode, verify.stdout).toBe(0);
  expect(verify.stdout.trim()).toBe('');
  // dpkg lists the executable as the package's: what `zonectl status` reads to name its source.
  expect((await sh(machine, 'dpkg -S /usr/lib/cni-zones/cni-zones')).stdout.trim()).toBe('cni-zones: /usr/lib/cni-zones/cni-zones');
  const status = await sh(machine, 'zonectl status');
  expect(status.stdout.split('\n')[0]).toBe(
    `zonectl ${VERSION} (/usr/lib/cni-zones/cni-zones), from the Debian package cni-zones ${VERSION}`,
  );
}

suite.it(
  'installs, installs over itself, removes and purges, leaving the machine as it was',
  async () => {
    const machine = await bootWithPackage();
    const before = await snapshot(machine);

    await dpkg(machine, `-i ${DEB_IN_MACHINE}`);
    await expectInstalled(machine);
    const installed = await snapshot(machine);

    // Over itself: the old version's scripts run, and nothing is added or lost.
    await dpkg(machine, `-i ${DEB_IN_MACHINE}`);
    await expectInstalled(machine);
    const again = await snapshot(machine);
    expect(difference(installed.files, again.files)).toEqual({ added: [], removed: [] });
    expect(again.units).toBe(installed.units);
    // Recorded once each: exactly the /opt directories that were not there before.
    const made = ['/opt', '/opt/cni', '/opt/cni/bin'].filter((dir) => !before.files.some((line) => line.startsWith(`${dir} d `)));
    expect(made).toContain('/opt/cni/bin');
    expect((await sh(machine, 'sort /var/lib/cni-zones/package-created-dirs')).stdout).toBe(made.join('\n'));

    await dpkg(machine, '-r cni-zones');
    expect((await sh(machine, 'systemctl is-active cni-zones-repair.service')).stdout.trim()).not.toBe('active');
    for (const unit of UNITS) expect((await sh(machine, `systemctl is-enabled ${unit}`)).stdout.trim(), unit).toBe('masked');
    const removed = await snapshot(machine);
    const left = difference(before.files, removed.files);
    console.log(`left after dpkg -r (until purge):\n${left.added.join('\n')}`);
    expect(left.removed).toEqual([]);
    // What remove leaves by design: the /opt directories we made (removed on purge, if empty), their
    // record, and deb-systemd-helper's memory of the units: the enablement links with its state
    // files, and the mask (-> /dev/null) that keeps those links inert. dh_installsystemd's scripts
    // do the same for every Debian package, so that a reinstall keeps the admin's enable/disable.
    for (const line of left.added) {
      expect(line).toMatch(
        /^(\/opt(\/cni(\/bin)?)? d 755 |\/var\/lib\/cni-zones(\/package-created-dirs)? |\/etc\/systemd\/system\/([^/ ]+\.wants(\/cni-zones-[^/ ]+)?|cni-zones-[^/ ]+) |\/var\/lib\/systemd\/deb-systemd-helper-(enabled|masked)[/ ])/,
      );
    }
    const leftPaths = left.added.map((line) => line.split(' ')[0]);
    expect(leftPaths.filter((path) => /^(\/usr\/|\/lib\/systemd\/system\/|\/opt\/cni\/bin\/)/.test(path ?? ''))).toEqual([]);

    await dpkg(machine, '-P cni-zones');
    const purged = await snapshot(machine);
    expect(difference(before.files, purged.files)).toEqual({ added: [], removed: [] });
    expect(purged.units).toBe(before.units);
    expect((await sh(machine, 'ls /var/lib/dpkg/info/ | grep cni-zones')).stdout).toBe('');
  },
  240_000,
);

suite.it(
  'keeps what /opt/cni/bin held before: another plugin, and a foreign file named zone',
  async () => {
    const machine = await bootWithPackage();
    await sh(machine, 'mkdir -p /opt/cni/bin && echo "#!/bin/sh" >/opt/cni/bin/bridge && echo foreign >/opt/cni/bin/zone');
    const before = await snapshot(machine);

    const install = await dpkg(machine, `-i ${DEB_IN_MACHINE}`);
    expect(install).toContain('/opt/cni/bin/zone is not ours, left as it is');
    expect((await sh(machine, 'cat /opt/cni/bin/zone')).stdout).toBe('foreign');
    expect(await readlink(machine, '/opt/cni/bin/zone-ipam')).toBe('/usr/lib/cni-zones/zone-ipam');
    expect((await sh(machine, 'test -f /opt/cni/bin/bridge')).exitCode).toBe(0);
    // None of /opt was made by the package, so purge must not remove any of it.
    expect((await sh(machine, 'cat /var/lib/cni-zones/package-created-dirs 2>/dev/null')).stdout).toBe('');

    await dpkg(machine, '-P cni-zones');
    expect((await sh(machine, 'cat /opt/cni/bin/zone')).stdout).toBe('foreign');
    const purged = await snapshot(machine);
    expect(difference(before.files, purged.files)).toEqual({ added: [], removed: [] });
    expect(purged.units).toBe(before.units);
  },
  240_000,
);

suite.it(
  'adds nothing to an /opt/cni/bin that is a link to /usr/lib/cni, and leaves the link on purge',
  async () => {
    const machine = await bootWithPackage();
    await sh(machine, 'mkdir -p /opt/cni && ln -s /usr/lib/cni /opt/cni/bin');
    const before = await snapshot(machine);

    const install = await dpkg(machine, `-i ${DEB_IN_MACHINE}`);
    expect(install).not.toContain('is not ours');
    for (const plugin of PLUGINS) expect((await versionOf(machine, `/opt/cni/bin/${plugin}`)).cniZonesVersion).toBe(VERSION);

    await dpkg(machine, '-P cni-zones');
    expect(await readlink(machine, '/opt/cni/bin')).toBe('/usr/lib/cni');
    const purged = await snapshot(machine);
    expect(difference(before.files, purged.files)).toEqual({ added: [], removed: [] });
  },
  240_000,
);
