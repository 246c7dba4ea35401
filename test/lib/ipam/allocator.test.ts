import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../../lib/ip/index.js';
import { allocate, ipConfigFor, roundRobin } from '../../../lib/ipam/allocator.js';
import { type RangeConfig, parseRangeSet } from '../../../lib/ipam/range.js';
import { ensureStoreDir, readAllocations, reserve, storeDir } from '../../../lib/ipam/store.js';
import { failure, tempDataDir } from './helpers.js';

const addr = (text: string) => parseAddress(text)!;
const set = (...ranges: RangeConfig[]) => parseRangeSet(ranges, 'ranges[0]');
const order = (ranges: RangeConfig[], last?: string) => [...roundRobin(set(...ranges), last ? addr(last) : undefined)].map(formatAddress);

describe('roundRobin (host-local RangeIter)', () => {
  it('starts at rangeStart and skips the gateway', () => {
    expect(order([{ subnet: '10.0.0.0/29' }])).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });

  it('continues after the last reserved address and wraps around to it', () => {
    expect(order([{ subnet: '10.0.0.0/29' }], '10.0.0.4')).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect(order([{ subnet: '10.0.0.0/29' }], '10.0.0.6')).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });

  it('starts from the beginning when the last address is not in the set', () => {
    expect(order([{ subnet: '10.0.0.0/29' }], '10.9.9.9')[0]).toBe('10.0.0.2');
    expect(order([{ subnet: '10.0.0.0/29' }], 'fd00::1')[0]).toBe('10.0.0.2');
  });

  it('moves through the ranges of a set in turn', () => {
    const ranges = [{ subnet: '10.0.0.0/30' }, { subnet: '10.0.1.0/29', rangeStart: '10.0.1.4', rangeEnd: '10.0.1.5' }];
    expect(order(ranges)).toEqual(['10.0.0.2', '10.0.1.4', '10.0.1.5']);
    expect(order(ranges, '10.0.0.2')).toEqual(['10.0.1.4', '10.0.1.5', '10.0.0.2']);
    expect(order(ranges, '10.0.1.5')).toEqual(['10.0.0.2', '10.0.1.4', '10.0.1.5']);
  });

  it('skips a gateway in the middle of a range and works for v6', () => {
    expect(order([{ subnet: 'fd00::/125', gateway: 'fd00::4' }], 'fd00::2')).toEqual([
      'fd00::3',
      'fd00::5',
      'fd00::6',
      'fd00::7',
      'fd00::1',
      'fd00::2',
    ]);
  });

  it('yields nothing for a range that holds only its gateway', () => {
    expect(order([{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.1', rangeEnd: '10.0.0.1' }])).toEqual([]);
  });
});

describe('allocate', () => {
  function setup(ranges: RangeConfig[] = [{ subnet: '10.0.0.0/29' }]) {
    const dir = storeDir(tempDataDir(), 'net');
    ensureStoreDir(dir);
    const rangeSet = set(...ranges);
    const take = (containerId: string, requested?: string) =>
      formatAddress(
        allocate({
          dir,
          set: rangeSet,
          index: 0,
          owner: { network: 'net', containerId, ifname: 'eth0' },
          existing: readAllocations(dir),
          ...(requested && { requested: addr(requested) }),
        }),
      );
    return { dir, rangeSet, take };
  }

  it('hands out addresses in round-robin order, skipping taken ones', () => {
    const { dir, take } = setup();
    reserve(dir, addr('10.0.0.3'), { containerId: 'other', ifname: 'eth0' }, 5);
    expect(take('c1')).toBe('10.0.0.2');
    expect(take('c2')).toBe('10.0.0.4');
    expect(take('c3')).toBe('10.0.0.5');
  });

  it('fails with code 110 naming the range set when it is full', async () => {
    const { take } = setup();
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) take(id);
    const error = await failure(() => take('c6'));
    expect(error).toMatchObject({ code: 110, message: 'no IP addresses available in range set 10.0.0.1-10.0.0.6 of 10.0.0.0/29' });
  });

  it('gives a requested address, and refuses the gateway or a taken one with code 111', async () => {
    const { take } = setup();
    expect(take('c1', '10.0.0.5')).toBe('10.0.0.5');
    expect(await failure(() => take('c2', '10.0.0.5'))).toMatchObject({ code: 111 });
    expect(await failure(() => take('c2', '10.0.0.1'))).toMatchObject({
      code: 111,
      message: 'requested IP 10.0.0.1 is the gateway of its subnet',
    });
  });

  it('refuses a second address for the same attachment with code 112, as host-local does', async () => {
    const { take } = setup();
    take('c1');
    expect(await failure(() => take('c1'))).toMatchObject({
      code: 112,
      message: expect.stringContaining('10.0.0.2 is already allocated to c1/eth0'),
    });
  });

  it('treats an old store file holding only the container ID as an allocation of it', async () => {
    const { dir, take } = setup();
    writeFileSync(join(dir, '10.0.0.6'), 'c1');
    expect((await failure(() => take('c1'))).code).toBe(112);
  });

  it('describes an address with its prefix and gateway', () => {
    const rangeSet = set({ subnet: 'fd89::/64', gateway: 'fd89::fe' });
    expect(ipConfigFor(rangeSet, addr('fd89::5'))).toEqual({ address: 'fd89::5/64', gateway: 'fd89::fe' });
  });
});
