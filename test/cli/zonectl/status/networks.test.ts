import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfDir, usesOurPlugins } from '../../../../cli/zonectl/status/networks.js';
import { parseConfList } from '../../../../lib/runtime/conf.js';
import { makeTestTempDir } from '../../../support/paths.js';

let dir: string;
beforeEach(() => {
  dir = makeTestTempDir('status-networks');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readConfDir', () => {
  it('reads every file, reports the broken ones, and keeps the first of a name', async () => {
    writeFileSync(join(dir, '10-a.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'zone' }] }));
    writeFileSync(join(dir, '20-broken.conflist'), '{');
    writeFileSync(join(dir, '30-a-again.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'a', plugins: [{ type: 'bridge' }] }));
    writeFileSync(join(dir, '40-b.conf'), JSON.stringify({ cniVersion: '1.0.0', name: 'b', type: 'bridge' }));
    mkdirSync(join(dir, 'sub.conflist'));
    const { lists, unreadable } = await readConfDir(dir);
    expect(lists.map((l) => [l.name, l.plugins[0]?.type])).toEqual([
      ['a', 'zone'],
      ['b', 'bridge'],
    ]);
    expect(unreadable).toEqual([{ file: join(dir, '20-broken.conflist'), error: expect.stringContaining('JSON') }]);
  });

  it('is empty for a missing directory', async () => {
    expect(await readConfDir(join(dir, 'none'))).toEqual({ lists: [], unreadable: [] });
  });
});

describe('usesOurPlugins', () => {
  it('is true for chains with zone, zone-ports, or zone-ipam as IPAM', () => {
    const list = (plugins: object[]) => parseConfList(JSON.stringify({ cniVersion: '1.0.0', name: 'n', plugins }));
    expect(usesOurPlugins(list([{ type: 'zone' }]))).toBe(true);
    expect(usesOurPlugins(list([{ type: 'bridge' }, { type: 'zone-ports' }]))).toBe(true);
    expect(usesOurPlugins(list([{ type: 'bridge', ipam: { type: 'zone-ipam' } }]))).toBe(true);
    expect(usesOurPlugins(list([{ type: 'bridge', ipam: { type: 'host-local' } }, { type: 'portmap' }]))).toBe(false);
  });
});
