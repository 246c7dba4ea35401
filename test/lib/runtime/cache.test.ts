import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import {
  cachedAttachments,
  cacheFilePath,
  listCacheEntries,
  readCachedResult,
  readCacheEntry,
  removeCacheEntry,
  resultsDir,
  writeCacheEntry,
} from '../../../lib/runtime/cache.js';
import { encodeCacheEntry, type CacheEntry } from '../../../lib/runtime/cache-format.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('cache');
});
afterEach(() => sandbox.remove());

function entry(networkName: string, containerId: string, ifname = 'eth0'): CacheEntry {
  return {
    networkName,
    containerId,
    ifname,
    config: Buffer.from(`{"name":"${networkName}"}`),
    netns: `/run/netns/${containerId}`,
    result: { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] },
  };
}

describe('cacheFilePath', () => {
  it('is <cacheDir>/results/<network>-<container>-<ifname>', () => {
    expect(cacheFilePath('/var/lib/cni', { networkName: 'web', containerId: 'abc', ifname: 'eth0' })).toBe(
      '/var/lib/cni/results/web-abc-eth0',
    );
    expect(resultsDir('/x')).toBe('/x/results');
  });

  it('needs all three parts', () => {
    expect(() => cacheFilePath('/x', { networkName: 'web', containerId: '', ifname: 'eth0' })).toThrow(/container ID/);
  });
});

describe('writeCacheEntry', () => {
  it('writes the encoded record, file mode 0600 in directories of mode 0700', async () => {
    const e = entry('web', 'abc');
    await writeCacheEntry(sandbox.cacheDir, e);
    const file = join(sandbox.cacheDir, 'results', 'web-abc-eth0');
    expect(readFileSync(file, 'utf8')).toBe(encodeCacheEntry(e));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(sandbox.cacheDir, 'results')).mode & 0o777).toBe(0o700);
    expect(statSync(sandbox.cacheDir).mode & 0o777).toBe(0o700);
  });

  it('replaces a record atomically and leaves no temp files behind', async () => {
    await writeCacheEntry(sandbox.cacheDir, entry('web', 'abc'));
    const second = { ...entry('web', 'abc'), netns: '/other' };
    await writeCacheEntry(sandbox.cacheDir, second);
    expect(readdirSync(join(sandbox.cacheDir, 'results'))).toEqual(['web-abc-eth0']);
    expect(await readCacheEntry(sandbox.cacheDir, second)).toEqual(second);
  });

  it('reports a failure to write as code 5', async () => {
    writeFileSync(join(sandbox.dir, 'file'), '');
    await expect(writeCacheEntry(join(sandbox.dir, 'file'), entry('web', 'abc'))).rejects.toMatchObject({ code: ErrorCode.IoFailure });
  });
});

describe('readCachedResult', () => {
  const key = { networkName: 'web', containerId: 'abc', ifname: 'eth0' };

  it('gives undefined when nothing is cached', async () => {
    expect(await readCachedResult(sandbox.cacheDir, key)).toBeUndefined();
    expect(await readCacheEntry(sandbox.cacheDir, key)).toBeUndefined();
  });

  it('reads the result of a cniCacheV1 record', async () => {
    await writeCacheEntry(sandbox.cacheDir, entry('web', 'abc'));
    expect(await readCachedResult(sandbox.cacheDir, key)).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] });
  });

  it('reads a bare result stored by older libcni versions', async () => {
    mkdirSync(resultsDir(sandbox.cacheDir), { recursive: true });
    writeFileSync(cacheFilePath(sandbox.cacheDir, key), '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.1.0.2/16"}]}');
    expect(await readCachedResult(sandbox.cacheDir, key)).toEqual({ cniVersion: '0.3.1', ips: [{ address: '10.1.0.2/16' }] });
  });

  it('rejects an unreadable record with code 6', async () => {
    mkdirSync(resultsDir(sandbox.cacheDir), { recursive: true });
    writeFileSync(cacheFilePath(sandbox.cacheDir, key), 'garbage');
    await expect(readCachedResult(sandbox.cacheDir, key)).rejects.toMatchObject({ code: ErrorCode.DecodingFailure });
  });
});

describe('removeCacheEntry', () => {
  it('removes a record and accepts a missing one', async () => {
    const e = entry('web', 'abc');
    await writeCacheEntry(sandbox.cacheDir, e);
    await removeCacheEntry(sandbox.cacheDir, e);
    expect(existsSync(cacheFilePath(sandbox.cacheDir, e))).toBe(false);
    await removeCacheEntry(sandbox.cacheDir, e);
  });
});

describe('listCacheEntries', () => {
  it('lists records in file-name order, filtered by network and container', async () => {
    await writeCacheEntry(sandbox.cacheDir, entry('web', 'b'));
    await writeCacheEntry(sandbox.cacheDir, entry('web', 'a', 'net1'));
    await writeCacheEntry(sandbox.cacheDir, entry('db', 'a'));
    const all = await listCacheEntries(sandbox.cacheDir);
    expect(all.map((e) => `${e.networkName}/${e.containerId}/${e.ifname}`)).toEqual(['db/a/eth0', 'web/a/net1', 'web/b/eth0']);
    expect((await listCacheEntries(sandbox.cacheDir, { networkName: 'web' })).map((e) => e.containerId)).toEqual(['a', 'b']);
    expect((await listCacheEntries(sandbox.cacheDir, { containerId: 'a' })).map((e) => e.networkName)).toEqual(['db', 'web']);
  });

  it('skips junk, bare results, records without network or interface, and temp files', async () => {
    await writeCacheEntry(sandbox.cacheDir, entry('web', 'ok'));
    const dir = resultsDir(sandbox.cacheDir);
    writeFileSync(join(dir, 'junk'), 'nope');
    writeFileSync(join(dir, 'web-old-eth0'), '{"cniVersion":"0.3.1"}');
    writeFileSync(join(dir, 'web-x-'), JSON.stringify({ kind: 'cniCacheV1', containerId: 'x', networkName: 'web' }));
    writeFileSync(join(dir, '.web-tmp-eth0.123.tmp'), encodeCacheEntry(entry('web', 'tmp')));
    expect((await listCacheEntries(sandbox.cacheDir)).map((e) => e.containerId)).toEqual(['ok']);
  });

  it('gives nothing when the cache directory does not exist', async () => {
    expect(await listCacheEntries(join(sandbox.dir, 'missing'))).toEqual([]);
  });
});

describe('cachedAttachments', () => {
  it("derives a network's valid attachments from the cache", async () => {
    await writeCacheEntry(sandbox.cacheDir, entry('web', 'a'));
    await writeCacheEntry(sandbox.cacheDir, entry('web', 'b', 'net1'));
    await writeCacheEntry(sandbox.cacheDir, entry('db', 'c'));
    expect(await cachedAttachments(sandbox.cacheDir, 'web')).toEqual([
      { network: 'web', containerId: 'a', ifname: 'eth0' },
      { network: 'web', containerId: 'b', ifname: 'net1' },
    ]);
  });
});
