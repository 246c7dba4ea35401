// The units cni-zones installs pass `systemd-analyze verify`, as `zonectl install` writes them
// (the compiled executable under /opt/cni-zones, a conf dir that needs quoting) and as the
// Debian package does (/usr/sbin/zonectl). verify runs on a throwaway root holding the system's
// own units, the units and a stand-in executable at each ExecStart= path (verify checks it
// exists and is executable), and finds zonectl(8) through MANPATH (it checks Documentation=).
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { expect, onTestFinished } from 'vitest';
import { GC_UNIT, renderGcUnit } from '../../cli/zonectl/install/gc-unit.js';
import { DEFAULT_BIN_DIR, DEFAULT_LIB_DIR, DEFAULT_SBIN_DIR, planInstall } from '../../cli/zonectl/install/plan.js';
import { REPAIR_UNIT, renderRepairUnit } from '../../cli/zonectl/install/repair-unit.js';
import { renderZonectlManPage } from '../../cli/zonectl/manual/zonectl-page.js';
import { DEFAULT_UNIT_DIR } from '../../lib/nspawn/dropin.js';
import { parseExecLine } from '../../lib/nspawn/exec-line.js';
import { parseUnitFile, valuesOf } from '../../lib/networkd/unit-file.js';
import { makeTestTempDir } from '../support/paths.js';
import { privileged } from '../support/privileges.js';

const suite = privileged(['systemd-analyze', 'man']);
const SYSTEM_UNITS = '/usr/lib/systemd/system';

interface Verified {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** `systemd-analyze verify` of `units` (name → content) installed in a fresh root. */
async function verify(units: ReadonlyMap<string, string>): Promise<Verified> {
  const dir = makeTestTempDir('units-verify');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  // The units ours name (sysinit.target, multi-user.target, nftables.service...), as this system has them.
  cpSync(SYSTEM_UNITS, join(root, SYSTEM_UNITS), { recursive: true, verbatimSymlinks: true });
  for (const [name, content] of units) {
    const path = join(root, DEFAULT_UNIT_DIR, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    for (const key of ['ExecStart', 'ExecReload']) {
      for (const line of valuesOf(parseUnitFile(content), 'Service', key)) standIn(root, parseExecLine(line).argv[0] as string);
    }
  }
  const man = join(dir, 'man');
  mkdirSync(join(man, 'man8'), { recursive: true });
  writeFileSync(join(man, 'man8', 'zonectl.8'), renderZonectlManPage('0.0.0-test'));
  const result = await execa('systemd-analyze', ['verify', `--root=${root}`, ...units.keys()], {
    reject: false,
    timeout: 30_000,
    env: { MANPATH: man, SYSTEMD_LOG_LEVEL: 'notice' },
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

function standIn(root: string, path: string): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
}

suite.describe('systemd-analyze verify of the units', () => {
  suite.it('is clean for the units zonectl install writes (compiled form, a conf dir that needs quoting)', async () => {
    const dirs = {
      libDir: DEFAULT_LIB_DIR,
      binDir: DEFAULT_BIN_DIR,
      sbinDir: DEFAULT_SBIN_DIR,
      confDir: '/etc/cni/my net.d',
      unitDir: DEFAULT_UNIT_DIR,
    };
    const plan = await planInstall(dirs, { kind: 'compiled', executable: '/nowhere/cni-zones' }, '/nowhere');
    const units = new Map(
      plan.items.flatMap((item) =>
        item.kind === 'write' && item.target.startsWith(`${DEFAULT_UNIT_DIR}/`)
          ? [[item.target.slice(DEFAULT_UNIT_DIR.length + 1), item.content] as const]
          : [],
      ),
    );
    expect([...units.keys()].sort()).toEqual([GC_UNIT, REPAIR_UNIT]);
    const result = await verify(units);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  suite.it('is clean for the units with /usr/sbin/zonectl, as the Debian package installs them', async () => {
    const zonectl = ['/usr/sbin/zonectl'];
    const result = await verify(
      new Map([
        [GC_UNIT, renderGcUnit(zonectl)],
        [REPAIR_UNIT, renderRepairUnit([...zonectl, 'repair'])],
      ]),
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  suite.it('can fail: an ExecStart= that does not exist is reported', async () => {
    const unit = renderGcUnit(['/usr/sbin/zonectl']).replace('ExecStart=/usr/sbin/zonectl', 'ExecStart=/usr/sbin/no-such-zonectl');
    const dir = makeTestTempDir('units-verify-broken');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const root = join(dir, 'root');
    cpSync(SYSTEM_UNITS, join(root, SYSTEM_UNITS), { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(root, DEFAULT_UNIT_DIR), { recursive: true });
    writeFileSync(join(root, DEFAULT_UNIT_DIR, GC_UNIT), unit);
    const result = await execa('systemd-analyze', ['verify', `--root=${root}`, '--man=no', GC_UNIT], { reject: false, timeout: 30_000 });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('/usr/sbin/no-such-zonectl');
  });
});
