import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CniError, ErrorCode } from '../../../lib/cni/errors.js';
import {
  defaultNetworkDir,
  listZonesWithFiles,
  removeZoneFiles,
  writeFileAtomically,
  writeZoneFiles,
} from '../../../lib/networkd/files.js';
import { renderZoneFiles, type ZoneNetwork } from '../../../lib/networkd/zone-files.js';

const web: ZoneNetwork = { zone: 'web', gateways: ['10.89.0.1/24'], ipMasquerade: true };
const names = ['70-cni-zones-web.netdev', '70-cni-zones-web.network'];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cni-zones-networkd-files-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('writeZoneFiles', () => {
  it('defaults to the runtime directory /run/systemd/network', () => {
    expect(defaultNetworkDir).toBe('/run/systemd/network');
  });

  it('writes both files with mode 0644 whatever the umask, and reports the change', async () => {
    const previous = process.umask(0o077);
    try {
      const outcome = await writeZoneFiles(web, dir);
      expect(outcome).toEqual({ changed: true, files: names });
    } finally {
      process.umask(previous);
    }
    const expected = renderZoneFiles(web);
    for (const file of expected) {
      expect(await readFile(join(dir, file.name), 'utf8')).toBe(file.content);
      expect(await modeOf(join(dir, file.name))).toBe(0o644);
    }
    expect((await readdir(dir)).sort()).toEqual(names);
  });

  it('changes nothing when the content is already there', async () => {
    await writeZoneFiles(web, dir);
    const before = await stat(join(dir, names[1] as string));
    expect(await writeZoneFiles(web, dir)).toEqual({ changed: false, files: [] });
    const after = await stat(join(dir, names[1] as string));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('rewrites only the file whose content changed, by replacing it (a new inode), never in place', async () => {
    await writeZoneFiles(web, dir);
    const netdevBefore = await stat(join(dir, names[0] as string));
    const networkBefore = await stat(join(dir, names[1] as string));
    const outcome = await writeZoneFiles({ ...web, gateways: ['10.90.0.1/24'] }, dir);
    expect(outcome).toEqual({ changed: true, files: ['70-cni-zones-web.network'] });
    expect((await stat(join(dir, names[0] as string))).ino).toBe(netdevBefore.ino);
    expect((await stat(join(dir, names[1] as string))).ino).not.toBe(networkBefore.ino);
    expect(await readFile(join(dir, names[1] as string), 'utf8')).toContain('Address=10.90.0.1/24');
  });

  it('repairs a file that was edited by hand', async () => {
    await writeZoneFiles(web, dir);
    await writeFile(join(dir, names[0] as string), '[NetDev]\nName=vz-web\nKind=dummy\n');
    expect(await writeZoneFiles(web, dir)).toEqual({ changed: true, files: ['70-cni-zones-web.netdev'] });
  });

  it('creates the directory when it is missing', async () => {
    const nested = join(dir, 'run', 'systemd', 'network');
    expect((await writeZoneFiles(web, nested)).changed).toBe(true);
    expect((await readdir(nested)).sort()).toEqual(names);
  });

  it('validates the model before touching the disk', async () => {
    await expect(writeZoneFiles({ ...web, zone: 'a/b' }, dir)).rejects.toMatchObject({ code: ErrorCode.InvalidNetworkConfig });
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails with an I/O error (code 5) when the directory cannot be made', async () => {
    await writeFile(join(dir, 'file'), '');
    const error = await writeZoneFiles(web, join(dir, 'file', 'network')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CniError);
    expect((error as CniError).code).toBe(ErrorCode.IoFailure);
  });
});

describe('writeFileAtomically', () => {
  it('leaves no temporary file behind, also when the rename fails', async () => {
    await writeFileAtomically(dir, 'a.network', 'x\n');
    expect(await readdir(dir)).toEqual(['a.network']);
    // A directory in the way makes rename fail after the temporary file was written.
    await rm(join(dir, 'a.network'));
    await mkdir(join(dir, 'a.network', 'sub'), { recursive: true });
    await expect(writeFileAtomically(dir, 'a.network', 'y\n')).rejects.toMatchObject({ code: ErrorCode.IoFailure });
    expect(await readdir(dir)).toEqual(['a.network']);
  });
});

describe('removeZoneFiles', () => {
  it('removes both files and reports it, then reports nothing to do', async () => {
    await writeZoneFiles(web, dir);
    await writeZoneFiles({ ...web, zone: 'other' }, dir);
    expect(await removeZoneFiles('web', dir)).toEqual({ changed: true, files: ['70-cni-zones-web.network', '70-cni-zones-web.netdev'] });
    expect((await readdir(dir)).sort()).toEqual(['70-cni-zones-other.netdev', '70-cni-zones-other.network']);
    expect(await removeZoneFiles('web', dir)).toEqual({ changed: false, files: [] });
  });

  it('is fine with a missing directory and rejects an invalid zone name', async () => {
    expect(await removeZoneFiles('web', join(dir, 'missing'))).toEqual({ changed: false, files: [] });
    await expect(removeZoneFiles('../x', dir)).rejects.toMatchObject({ code: ErrorCode.InvalidNetworkConfig });
  });
});

describe('listZonesWithFiles', () => {
  it('lists the zones that have files of ours, ignoring everything else', async () => {
    await writeZoneFiles(web, dir);
    await writeZoneFiles({ ...web, zone: 'a.b' }, dir);
    await writeFile(join(dir, '80-container-vz.network'), '');
    await writeFile(join(dir, '.70-cni-zones-tmp.network.1.1.tmp'), '');
    await writeFile(join(dir, '70-cni-zones-only.netdev'), '');
    expect(await listZonesWithFiles(dir)).toEqual(['a.b', 'only', 'web']);
    expect(await listZonesWithFiles(join(dir, 'missing'))).toEqual([]);
  });
});
