import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyInstall, stateOf } from '../../../../cli/zonectl/install/apply.js';
import type { InstallItem } from '../../../../cli/zonectl/install/plan.js';
import { makeTestTempDir } from '../../../support/paths.js';

let dir: string;
let items: InstallItem[];
beforeEach(() => {
  dir = makeTestTempDir('install-apply');
  writeFileSync(join(dir, 'source'), 'bundle');
  items = [
    { kind: 'copy', target: join(dir, 'lib/bin/zone'), source: join(dir, 'source'), executable: true },
    { kind: 'write', target: join(dir, 'conf/x.conflist'), content: '{}\n' },
    { kind: 'symlink', target: join(dir, 'bin/zone'), linkTo: join(dir, 'lib/bin/zone') },
  ];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('applyInstall', () => {
  it('installs everything, then finds it unchanged', async () => {
    expect((await applyInstall(items, { force: false })).map((o) => o.action)).toEqual(['installed', 'installed', 'installed']);
    expect(readFileSync(join(dir, 'bin/zone'), 'utf8')).toBe('bundle');
    expect(statSync(join(dir, 'lib/bin/zone')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'conf/x.conflist')).mode & 0o777).toBe(0o644);
    expect(readlinkSync(join(dir, 'bin/zone'))).toBe(join(dir, 'lib/bin/zone'));
    expect((await applyInstall(items, { force: false })).map((o) => o.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(readdirSync(join(dir, 'bin'))).toEqual(['zone']);
  });

  it('stops before writing anything when a file differs, and replaces it with force', async () => {
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf/x.conflist'), 'mine\n');
    mkdirSync(join(dir, 'bin'));
    symlinkSync('/elsewhere', join(dir, 'bin/zone'));
    await expect(applyInstall(items, { force: false })).rejects.toMatchObject({
      message: '2 files already exist with other content; nothing was installed',
      details: `${join(dir, 'conf/x.conflist')}\n${join(dir, 'bin/zone')}`,
    });
    expect(() => lstatSync(join(dir, 'lib/bin/zone'))).toThrow();
    expect((await applyInstall(items, { force: true })).map((o) => o.action)).toEqual(['installed', 'replaced', 'replaced']);
    expect(readFileSync(join(dir, 'conf/x.conflist'), 'utf8')).toBe('{}\n');
    expect(readlinkSync(join(dir, 'bin/zone'))).toBe(join(dir, 'lib/bin/zone'));
  });

  it('never replaces a directory, even with force', async () => {
    mkdirSync(join(dir, 'bin/zone'), { recursive: true });
    expect(await stateOf(items[2]!)).toBe('different');
    await expect(applyInstall(items, { force: true })).rejects.toThrow(/is a directory/);
  });

  it('copies a symlink inside a package as a symlink', async () => {
    symlinkSync('source', join(dir, 'link'));
    const item: InstallItem = { kind: 'copy', target: join(dir, 'lib/link'), source: join(dir, 'link'), executable: false };
    expect(await stateOf(item)).toBe('missing');
    await applyInstall([item], { force: false });
    expect(readlinkSync(join(dir, 'lib/link'))).toBe('source');
    expect(await stateOf(item)).toBe('same');
  });

  it('compares a copied file byte for byte, past the first chunk', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(join(dir, 'big'), big);
    const item: InstallItem = { kind: 'copy', target: join(dir, 'lib/big'), source: join(dir, 'big'), executable: true };
    await applyInstall([item], { force: false });
    expect(await stateOf(item)).toBe('same');
    big[big.length - 1] = 8; // same size, one byte differs, in the last chunk
    writeFileSync(join(dir, 'big'), big);
    expect(await stateOf(item)).toBe('different');
  });
});
