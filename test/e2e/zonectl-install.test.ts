// `zonectl install` (the compiled zonectl) into temporary directories, then the installed copy
// at work: the links in the plugin directory lead to the role links beside the one compiled
// executable, the plugins answer VERSION from there, and the installed zonectl attaches and
// detaches a machine with the installed plugins, needing nothing from the source tree.
// Installing again changes nothing; a file with other content stops the install unless --force.
// The units it writes pass systemd-analyze verify; the repair unit's ExecStart (the installed
// zonectl repair) succeeds without changing anything on a machine where nothing is recorded.
// The example network is written only with --example.

import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it, onTestFinished } from 'vitest';
import { renderZonectlManPage } from '../../cli/zonectl/manual/zonectl-page.js';
import { parseUnitFile, valuesOf } from '../../lib/networkd/unit-file.js';
import { parseExecLine } from '../../lib/nspawn/exec-line.js';
import { cleanupOnExit } from '../support/exit-cleanup.js';
import { nsenterArgs } from '../support/netns.js';
import { makeTestTempDir } from '../support/paths.js';
import { runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { allocations, cacheRecords, createZonectlWorld, useZonectlBundles } from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'unshare', 'mount', 'systemd-analyze']);
useZonectlBundles();
const PLUGINS = ['zone', 'zone-ipam', 'zone-ports'];

interface Layout {
  lib: string;
  bin: string;
  sbin: string;
  conf: string;
  units: string;
}

function layoutIn(dir: string): Layout {
  return {
    lib: join(dir, 'lib/cni-zones'),
    bin: join(dir, 'opt/cni/bin'),
    sbin: join(dir, 'sbin'),
    conf: join(dir, 'etc/cni/net.d'),
    units: join(dir, 'etc/systemd/system'),
  };
}

function installArgs(layout: Layout, extra: readonly string[] = []): string[] {
  const dirs = ['--lib-dir', layout.lib, '--bin-dir', layout.bin, '--sbin-dir', layout.sbin, '--conf-dir', layout.conf];
  return ['install', ...dirs, '--unit-dir', layout.units, ...extra];
}

/** A MANPATH holding zonectl(8), for systemd-analyze verify's check of Documentation=man:zonectl(8). */
async function manPath(dir: string): Promise<string> {
  const man = join(dir, 'man');
  await mkdir(join(man, 'man8'), { recursive: true });
  await writeFile(join(man, 'man8', 'zonectl.8'), renderZonectlManPage('0.0.0-test'));
  return man;
}

// The unit's command with the machine's state hidden: a private mount namespace with empty
// /run and /var/lib, so the default record directory and result cache hold nothing of anyone's.
const EMPTY_MACHINE = 'mount -t tmpfs none /run && mount -t tmpfs none /var/lib && exec "$@"';

/** A directory outside the repository, so nothing of the source tree can stand in for the installed copy. */
function outsideTheRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'czt-zonectl-install-'));
  const cancel = cleanupOnExit(() => rmSync(dir, { recursive: true, force: true }));
  onTestFinished(async () => {
    await rm(dir, { recursive: true, force: true });
    cancel();
  });
  return dir;
}

suite.describe('zonectl install', () => {
  it('installs the self-contained executable, whose installed copy runs a real ADD and DEL', async () => {
    const world = await createZonectlWorld();
    const outside = outsideTheRepository();
    const layout = layoutIn(outside);
    const install = await execa(join(world.bin, 'zonectl'), installArgs(layout, ['--example']), { reject: false });
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain(`${join(layout.bin, 'zone')} -> ${join(layout.lib, 'bin/zone')}`);

    for (const name of PLUGINS) {
      expect(lstatSync(join(layout.bin, name)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(layout.bin, name))).toBe(join(layout.lib, 'bin', name));
    }
    expect(readlinkSync(join(layout.sbin, 'zonectl'))).toBe(join(layout.lib, 'bin/zonectl'));
    expect(lstatSync(join(layout.lib, 'bin/cni-zones')).isFile()).toBe(true);
    for (const role of [...PLUGINS, 'zonectl']) expect(readlinkSync(join(layout.lib, 'bin', role))).toBe('cni-zones');
    expect(existsSync(join(layout.lib, 'node_modules'))).toBe(false);
    const example = JSON.parse(await readFile(join(layout.conf, 'cni-zones.conflist'), 'utf8'));
    expect(example).toMatchObject({ cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0'], name: 'cni-zones' });

    // The units: systemd reads them without a word, and they run the installed zonectl.
    const unit = join(layout.units, 'cni-zones-repair.service');
    const gcUnit = join(layout.units, 'cni-zones-gc.service');
    expect(install.stdout).toMatch(new RegExp(`${unit}\\s+installed`));
    expect(install.stdout).toMatch(new RegExp(`${gcUnit}\\s+installed`));
    for (const name of ['cni-zones-repair.service', 'cni-zones-gc.service'])
      expect(install.stdout).toContain(`${name}: written, not enabled (systemd does not read units from ${layout.units})`);
    const verify = await execa('systemd-analyze', ['verify', 'cni-zones-repair.service', 'cni-zones-gc.service'], {
      env: { SYSTEMD_UNIT_PATH: `${layout.units}:`, MANPATH: await manPath(outside) },
      reject: false,
    });
    expect(verify.stderr).toBe('');
    expect(verify.exitCode).toBe(0);
    const [gcExecStart] = valuesOf(parseUnitFile(await readFile(gcUnit, 'utf8')), 'Service', 'ExecStart');
    expect(parseExecLine(gcExecStart as string).argv).toEqual([
      join(layout.lib, 'bin/cni-zones'),
      'zonectl',
      'gc',
      '--boot',
      '--conf-dir',
      layout.conf,
    ]);
    const text = parseUnitFile(await readFile(unit, 'utf8'));
    const [execStart] = valuesOf(text, 'Service', 'ExecStart');
    const repair = parseExecLine(execStart as string).argv;
    expect(repair).toEqual([join(layout.lib, 'bin/cni-zones'), 'zonectl', 'repair', '--conf-dir', layout.conf]);
    expect(valuesOf(text, 'Service', 'ExecReload')).toEqual([execStart]);
    const boot = await execa('nsenter', [...nsenterArgs(world.host), 'unshare', '--mount', 'sh', '-c', EMPTY_MACHINE, 'sh', ...repair], {
      reject: false,
    });
    expect(boot.exitCode, boot.stderr).toBe(0);
    expect(boot.stdout).toBe('nothing to repair: nothing is recorded');
    expect((await execa('nsenter', [...nsenterArgs(world.host), 'nft', 'list', 'ruleset'])).stdout).toBe('');

    for (const name of PLUGINS) {
      const version = await runPlugin(join(layout.bin, name), { command: 'VERSION', stdin: { cniVersion: '1.0.0' } });
      expect(version.exitCode, version.stderr).toBe(0);
      expect(version.json).toMatchObject({ cniVersion: '1.0.0', supportedVersions: expect.arrayContaining(['1.0.0', '1.1.0']) });
    }
    const installed = join(layout.sbin, 'zonectl');
    const version = await execa(installed, ['--version']);
    expect(version.stdout).toMatch(/^zonectl \d+\.\d+\.\d+/);

    const machine = world.machineName('inst');
    const runtime = ['--conf-dir', world.confDir, '--cache-dir', world.cacheDir, '--cni-path', layout.bin];
    const up = await execa('nsenter', [...nsenterArgs(world.host), installed, 'up', machine, '--network', world.network, ...runtime], {
      reject: false,
    });
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/address\s+10\.89\.0\.\d+\/24/);
    expect(allocations(world.store)).toHaveLength(2);
    const status = await execa('nsenter', [...nsenterArgs(world.host), installed, 'status', ...runtime], { reject: false });
    expect(status.exitCode, status.stdout).toBe(0);
    const down = await execa('nsenter', [...nsenterArgs(world.host), installed, 'down', machine, ...runtime], { reject: false });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(allocations(world.store)).toEqual([]);
    expect(cacheRecords(world.cacheDir)).toEqual([]);
  });

  it('changes nothing the second time, and never replaces a different file without --force', async () => {
    const dir = makeTestTempDir('zonectl-install');
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const world = await createZonectlWorld();
    const layout = layoutIn(dir);
    const zonectl = join(world.bin, 'zonectl');
    // Without --example no network is written: which networks a host has is its admin's choice.
    expect((await execa(zonectl, installArgs(layout))).exitCode).toBe(0);
    expect(existsSync(layout.conf)).toBe(false);
    expect((await execa(zonectl, installArgs(layout, ['--example']))).exitCode).toBe(0);

    const again = await execa(zonectl, installArgs(layout, ['--example']));
    expect(again.stdout).toContain('all unchanged');
    expect(again.stdout).not.toMatch(/\b(installed|replaced)$/m);

    // The administrator's own network and a foreign plugin of the same name.
    const conflist = join(layout.conf, 'cni-zones.conflist');
    await writeFile(conflist, '{"cniVersion": "1.0.0", "name": "cni-zones", "plugins": [{"type": "bridge"}]}\n');
    await rm(join(layout.bin, 'zone'));
    await cp('/bin/true', join(layout.bin, 'zone'));
    const refused = await execa(zonectl, installArgs(layout, ['--example']), { reject: false });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('2 files already exist with other content; nothing was installed');
    expect(refused.stderr).toContain(conflist);
    expect(refused.stderr).toContain('--force');
    expect(await readFile(conflist, 'utf8')).toContain('bridge');
    expect(lstatSync(join(layout.bin, 'zone')).isSymbolicLink()).toBe(false);

    const forced = await execa(zonectl, installArgs(layout, ['--example', '--force']), { reject: false });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`${conflist}\\s+replaced`));
    expect(readlinkSync(join(layout.bin, 'zone'))).toBe(join(layout.lib, 'bin/zone'));
    expect(JSON.parse(await readFile(conflist, 'utf8')).plugins[0].type).toBe('zone');
  });
});
