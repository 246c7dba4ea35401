import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../../lib/ip/index.js';
import {
  allocationKey,
  allocationsOf,
  bootRecordDir,
  collectOrphanBootRecords,
  collectStaleTempFiles,
  ensureStoreDir,
  parseAllocationKey,
  probeWritable,
  readAllocations,
  readAllocationsWithBoot,
  readLastReserved,
  release,
  reserve,
  storeDir,
  storeExists,
} from '../../../lib/ipam/store.js';
import { currentBootId } from '../../../lib/system/boot-id.js';
import { failure, tempDataDir } from './helpers.js';

const addr = (text: string) => parseAddress(text)!;
const owner = (containerId: string, ifname = 'eth0') => ({ containerId, ifname });

function newStore(): string {
  const dir = storeDir(tempDataDir(), 'net');
  ensureStoreDir(dir);
  return dir;
}

describe('store files in host-local format', () => {
  it('writes "<id>\\r\\n<ifname>" without a trailing newline, mode 0600, and last_reserved_ip.<set>', () => {
    const dir = newStore();
    expect(reserve(dir, addr('10.89.0.2'), owner('c1'), 0)).toBe(true);
    expect(readFileSync(join(dir, '10.89.0.2'), 'utf8')).toBe('c1\r\neth0');
    expect(statSync(join(dir, '10.89.0.2')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'last_reserved_ip.0'), 'utf8')).toBe('10.89.0.2');
    expect(statSync(dir).mode & 0o777).toBe(0o755);
  });

  it('names v6 files the way Go prints the address', () => {
    const dir = newStore();
    reserve(dir, addr('fd89:0:0:0:0:0:1:0'), owner('c1'), 1);
    expect(readdirSync(dir).sort()).toEqual(['fd89::1:0', 'last_reserved_ip.1']);
    expect(readFileSync(join(dir, 'last_reserved_ip.1'), 'utf8')).toBe('fd89::1:0');
    expect(formatAddress(readLastReserved(dir, 1)!)).toBe('fd89::1:0');
  });

  it('refuses to reserve an address twice and leaves no temp files', () => {
    const dir = newStore();
    expect(reserve(dir, addr('10.89.0.2'), owner('c1'), 0)).toBe(true);
    expect(reserve(dir, addr('10.89.0.2'), owner('c2'), 0)).toBe(false);
    expect(readFileSync(join(dir, '10.89.0.2'), 'utf8')).toBe('c1\r\neth0');
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('trims the container ID like host-local', () => {
    expect(allocationKey(owner(' c1 ', 'net1'))).toBe('c1\r\nnet1');
    expect(parseAllocationKey('c1\r\nnet1')).toEqual({ containerId: 'c1', ifname: 'net1' });
    expect(parseAllocationKey('c1')).toEqual({ containerId: 'c1' });
  });

  it('reads allocations, old files without ifname included, and skips everything not named by an address', () => {
    const dir = newStore();
    reserve(dir, addr('10.89.0.2'), owner('c1'), 0);
    writeFileSync(join(dir, '10.89.0.3'), 'old-id\n');
    writeFileSync(join(dir, 'lock'), '');
    writeFileSync(join(dir, '010.89.0.4'), 'c9\r\neth0');
    writeFileSync(join(dir, 'FD89::5'), 'c9\r\neth0');
    writeFileSync(join(dir, '.tmp-1-abcd'), 'c9\r\neth0');
    mkdirSync(join(dir, '10.89.0.9'));
    const all = readAllocations(dir);
    expect(all.map((a) => [formatAddress(a.address), a.key, a.containerId, a.ifname]).sort()).toEqual([
      ['10.89.0.2', 'c1\r\neth0', 'c1', 'eth0'],
      ['10.89.0.3', 'old-id', 'old-id', undefined],
    ]);
  });

  it('finds an attachment by exact key first, else by old files holding only its ID (host-local ReleaseByID)', () => {
    const dir = newStore();
    reserve(dir, addr('10.89.0.2'), owner('c1', 'eth0'), 0);
    reserve(dir, addr('10.89.0.3'), owner('c1', 'eth1'), 0);
    writeFileSync(join(dir, '10.89.0.4'), 'c1');
    writeFileSync(join(dir, '10.89.0.5'), 'c2');
    const all = readAllocations(dir);
    const of = (o: { containerId: string; ifname: string }) =>
      allocationsOf(all, o)
        .map((a) => formatAddress(a.address))
        .sort();
    expect(of(owner('c1', 'eth0'))).toEqual(['10.89.0.2']);
    expect(of(owner('c1', 'eth9'))).toEqual(['10.89.0.4']);
    expect(of(owner('c2', 'eth0'))).toEqual(['10.89.0.5']);
    expect(of(owner('c3', 'eth0'))).toEqual([]);
  });

  it('reads a store of many files', () => {
    const dir = newStore();
    for (let i = 1; i <= 300; i++) writeFileSync(join(dir, `10.89.${i >> 8}.${i & 255}`), `c${i}\r\neth0`);
    const all = readAllocations(dir);
    expect(all).toHaveLength(300);
    expect(all.find((a) => a.containerId === 'c257')?.address).toEqual(addr('10.89.1.1'));
  });

  it('has no allocations and no last address when the store does not exist', () => {
    const dir = join(tempDataDir(), 'missing');
    expect(storeExists(dir)).toBe(false);
    expect(readAllocations(dir)).toEqual([]);
    expect(readLastReserved(dir, 0)).toBeUndefined();
  });

  it('ignores an unreadable last_reserved_ip', () => {
    const dir = newStore();
    writeFileSync(join(dir, 'last_reserved_ip.0'), 'garbage');
    expect(readLastReserved(dir, 0)).toBeUndefined();
  });

  it('records the boot of each allocation outside the store, where host-local neither finds nor releases it', () => {
    const dir = newStore();
    reserve(dir, addr('10.89.0.2'), owner('c1'), 0);
    expect(readAllocationsWithBoot(dir)).toMatchObject([{ containerId: 'c1', ifname: 'eth0', bootId: currentBootId() }]);
    // The census every ADD runs leaves the boot records unread.
    expect(readAllocations(dir)[0]?.bootId).toBeUndefined();
    expect(readFileSync(join(dir, '10.89.0.2'), 'utf8')).toBe('c1\r\neth0');
    // host-local walks only its network's directory tree: the store holds its files and no others.
    expect(readdirSync(dir).sort()).toEqual(['10.89.0.2', 'last_reserved_ip.0']);
    expect(bootRecordDir(dir)).toBe(join(dir, '..', '.cni-zones-boot', 'net'));
    // And should one be found, it matches neither the key nor the ID host-local compares contents with.
    const content = readFileSync(join(bootRecordDir(dir), '10.89.0.2'), 'utf8').trim();
    expect([allocationKey(owner('c1')), 'c1']).not.toContain(content);
  });

  it('takes a boot record for another key as no record (host-local released the address and reserved it again)', () => {
    const dir = newStore();
    reserve(dir, addr('10.89.0.2'), owner('c1'), 0);
    writeFileSync(join(dir, '10.89.0.2'), 'c2\r\neth0');
    const [allocation] = readAllocationsWithBoot(dir);
    expect(allocation?.containerId).toBe('c2');
    expect(allocation?.bootId).toBeUndefined();
    collectOrphanBootRecords(dir);
    expect(existsSync(bootRecordDir(dir))).toBe(false);
  });

  it('keeps the boot records of allocations when collecting orphans; an allocation host-local made has none', () => {
    const dir = newStore();
    reserve(dir, addr('10.89.0.2'), owner('c1'), 0);
    writeFileSync(join(dir, '10.89.0.3'), 'c3\r\neth0');
    writeFileSync(join(bootRecordDir(dir), '10.89.0.9'), JSON.stringify({ bootId: 'x', key: 'c9\r\neth0' }));
    collectOrphanBootRecords(dir);
    expect(readdirSync(bootRecordDir(dir))).toEqual(['10.89.0.2']);
    expect(
      readAllocationsWithBoot(dir)
        .map((a) => [a.containerId, a.bootId])
        .sort(),
    ).toEqual([
      ['c1', currentBootId()],
      ['c3', undefined],
    ]);
  });

  it('releases an address, and one that is gone already', () => {
    const dir = newStore();
    reserve(dir, addr('10.89.0.2'), owner('c1'), 0);
    release(dir, [addr('10.89.0.2')]);
    release(dir, [addr('10.89.0.2')]);
    expect(readdirSync(dir)).toEqual(['last_reserved_ip.0']);
    expect(existsSync(bootRecordDir(dir))).toBe(false);
  });

  it('takes the address back when last_reserved_ip cannot be written: no half reservation', async () => {
    const dir = newStore();
    mkdirSync(join(dir, 'last_reserved_ip.0')); // a rename over a directory fails, as a full disk would
    expect(await failure(() => reserve(dir, addr('10.89.0.2'), owner('c1'), 0))).toMatchObject({
      code: 5,
      message: expect.stringMatching(/last_reserved_ip\.0/),
    });
    expect(readdirSync(dir)).toEqual(['last_reserved_ip.0']);
    rmdirSync(join(dir, 'last_reserved_ip.0'));
    expect(reserve(dir, addr('10.89.0.2'), owner('c1'), 0)).toBe(true);
  });

  it('collects temp files of writers that are gone, and only those', () => {
    const dir = newStore();
    const dead = spawnSync('true').pid!;
    const names = [
      `.tmp-${dead}-1-abcdef`,
      `.tmp-${process.pid}-1-abcdef`,
      `.tmp-${process.ppid}-7-zzzzzz`,
      '.tmp-x-1',
      '10.89.0.2',
      'lock',
    ];
    for (const name of names) writeFileSync(join(dir, name), '');
    expect(collectStaleTempFiles(dir)).toEqual([`.tmp-${dead}-1-abcdef`]);
    expect(readdirSync(dir).sort()).toEqual(names.slice(1).sort());
    expect(collectStaleTempFiles(join(dir, 'missing'))).toEqual([]);
  });

  it('reports a store it cannot create with code 5', async () => {
    const base = tempDataDir();
    writeFileSync(join(base, 'file'), '');
    expect(await failure(() => ensureStoreDir(join(base, 'file', 'net')))).toMatchObject({ code: 5 });
    expect(await failure(() => probeWritable(join(base, 'file', 'net')))).toMatchObject({ code: 5 });
  });

  it('probes a writable store without leaving anything behind', () => {
    const dir = storeDir(tempDataDir(), 'net');
    probeWritable(dir);
    expect(readdirSync(dir)).toEqual([]);
  });
});
