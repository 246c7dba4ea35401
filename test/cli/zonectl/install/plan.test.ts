import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InstallItem, LIB_PACKAGE_JSON, planInstall } from '../../../../cli/zonectl/install/plan.js';
import { parseUnitFile, valuesOf } from '../../../../lib/networkd/unit-file.js';
import { makeTestTempDir } from '../../../support/paths.js';

let dir: string;
let bundle: string;
const dirs = { libDir: '/L', binDir: '/B', sbinDir: '/S', confDir: '/C', unitDir: '/U' };

beforeEach(() => {
  dir = makeTestTempDir('install-plan');
  bundle = join(dir, 'dist', 'bin');
  mkdirSync(bundle, { recursive: true });
  for (const name of ['zone', 'zone-ipam', 'zone-ports', 'zonectl']) writeFileSync(join(bundle, name), `#!/usr/bin/env node\n// ${name}\n`);
  for (const name of ['koffi']) {
    mkdirSync(join(dir, 'node_modules', name, 'lib', 'node_modules', 'junk'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '2.0.0' }));
    writeFileSync(join(dir, 'node_modules', name, 'lib', 'x.node'), 'native');
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function unitExecStart(items: readonly InstallItem[], name = 'cni-zones-repair.service'): string | undefined {
  const unit = items.find((i) => i.target.endsWith(`/${name}`));
  return unit?.kind === 'write' ? valuesOf(parseUnitFile(unit.content), 'Service', 'ExecStart')[0] : undefined;
}

describe('planInstall', () => {
  it('lays out the bundle directory, the links into it, the units, and the example network when asked', async () => {
    const plan = await planInstall(dirs, { kind: 'node', script: join(bundle, 'zonectl') }, bundle, { example: true });
    const targets = plan.items.map((i) => `${i.kind} ${i.target}${i.kind === 'symlink' ? ` -> ${i.linkTo}` : ''}`);
    expect(targets).toEqual([
      'write /L/package.json',
      'copy /L/bin/zone',
      'copy /L/bin/zone-ipam',
      'copy /L/bin/zone-ports',
      'copy /L/bin/zonectl',
      'copy /L/node_modules/koffi/lib/x.node',
      'copy /L/node_modules/koffi/package.json',
      'symlink /B/zone -> /L/bin/zone',
      'symlink /B/zone-ipam -> /L/bin/zone-ipam',
      'symlink /B/zone-ports -> /L/bin/zone-ports',
      'symlink /S/zonectl -> /L/bin/zonectl',
      'write /C/cni-zones.conflist',
      'write /U/cni-zones-repair.service',
      'write /U/cni-zones-gc.service',
    ]);
    expect(plan.packages).toEqual(['koffi@2.0.0']);
    expect([...plan.visible]).toEqual([
      '/B/zone',
      '/B/zone-ipam',
      '/B/zone-ports',
      '/S/zonectl',
      '/C/cni-zones.conflist',
      '/U/cni-zones-repair.service',
      '/U/cni-zones-gc.service',
    ]);
    // The units run the installed bundle with the node running this install, and the conf dir given.
    expect(unitExecStart(plan.items)).toBe(`${process.execPath} /L/bin/zonectl repair --conf-dir /C`);
    expect(unitExecStart(plan.items, 'cni-zones-gc.service')).toBe(`${process.execPath} /L/bin/zonectl gc --boot --conf-dir /C`);
    expect(JSON.parse(LIB_PACKAGE_JSON)).toMatchObject({ type: 'commonjs' });
    const bundles = plan.items.filter((i) => i.kind === 'copy' && i.target.startsWith('/L/bin/'));
    expect(bundles.every((i) => i.kind === 'copy' && i.executable)).toBe(true);
  });

  it("writes no network without --example: which networks a host has is its admin's choice", async () => {
    const plan = await planInstall(dirs, { kind: 'compiled', executable: '/x' }, '/');
    expect(plan.items.filter((i) => i.target.startsWith('/C/'))).toEqual([]);
  });

  it('lays out the compiled executable with a link per role when that is what runs', async () => {
    const plan = await planInstall(dirs, { kind: 'compiled', executable: '/src/dist/native/cni-zones' }, '/src/dist/native');
    const targets = plan.items.map((i) => `${i.kind} ${i.target}${i.kind === 'symlink' ? ` -> ${i.linkTo}` : ''}`);
    expect(targets).toEqual([
      'copy /L/bin/cni-zones',
      'symlink /L/bin/zone -> cni-zones',
      'symlink /L/bin/zone-ipam -> cni-zones',
      'symlink /L/bin/zone-ports -> cni-zones',
      'symlink /L/bin/zonectl -> cni-zones',
      'symlink /B/zone -> /L/bin/zone',
      'symlink /B/zone-ipam -> /L/bin/zone-ipam',
      'symlink /B/zone-ports -> /L/bin/zone-ports',
      'symlink /S/zonectl -> /L/bin/zonectl',
      'write /U/cni-zones-repair.service',
      'write /U/cni-zones-gc.service',
    ]);
    expect(plan.items[0]).toMatchObject({ source: '/src/dist/native/cni-zones', executable: true });
    expect(unitExecStart(plan.items)).toBe('/L/bin/cni-zones zonectl repair --conf-dir /C');
    const defaults = await planInstall({ ...dirs, confDir: '/etc/cni/net.d' }, { kind: 'compiled', executable: '/x' }, '/');
    expect(unitExecStart(defaults.items)).toBe('/L/bin/cni-zones zonectl repair');
    expect(unitExecStart(defaults.items, 'cni-zones-gc.service')).toBe('/L/bin/cni-zones zonectl gc --boot');
    expect(plan.packages).toEqual([]);
  });

  it('asks for a build when a bundle is missing', async () => {
    rmSync(join(bundle, 'zone-ports'));
    await expect(planInstall(dirs, { kind: 'node', script: join(bundle, 'zonectl') }, bundle)).rejects.toThrow(/zone-ports are missing/);
  });
});
