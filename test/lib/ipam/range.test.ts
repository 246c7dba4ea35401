import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../../lib/ip/index.js';
import {
  allocatableCount,
  checkRangeSetsDisjoint,
  formatRange,
  isAllocatable,
  parseRange,
  parseRangeSet,
  rangeFor,
  type Range,
} from '../../../lib/ipam/range.js';
import { failure } from './helpers.js';

const addr = (text: string) => parseAddress(text)!;
const show = (r: Range) => ({
  start: formatAddress(r.start),
  end: formatAddress(r.end),
  gateway: formatAddress(r.gateway),
  subnet: `${formatAddress(r.subnet.network)}/${r.subnet.prefix}`,
});

describe('parseRange', () => {
  it('defaults like host-local: start and gateway network+1, end broadcast-1 (v4)', () => {
    expect(show(parseRange({ subnet: '10.89.0.0/24' }, 'r'))).toEqual({
      start: '10.89.0.1',
      end: '10.89.0.254',
      gateway: '10.89.0.1',
      subnet: '10.89.0.0/24',
    });
  });

  it('ends a v6 range at the last address of the subnet', () => {
    expect(show(parseRange({ subnet: 'fd89::/120' }, 'r'))).toMatchObject({ start: 'fd89::1', end: 'fd89::ff', gateway: 'fd89::1' });
  });

  it('takes explicit rangeStart, rangeEnd and gateway', () => {
    const range = parseRange({ subnet: '10.89.0.0/24', rangeStart: '10.89.0.100', rangeEnd: '10.89.0.150', gateway: '10.89.0.254' }, 'r');
    expect(show(range)).toMatchObject({ start: '10.89.0.100', end: '10.89.0.150', gateway: '10.89.0.254' });
  });

  it('treats empty strings as absent, as Go does', () => {
    expect(show(parseRange({ subnet: '10.89.0.0/24', rangeStart: '', gateway: '' }, 'r'))).toMatchObject({
      start: '10.89.0.1',
      gateway: '10.89.0.1',
    });
  });

  it('never hands out the network or broadcast address, even when the range names them', () => {
    const range = parseRange({ subnet: '10.89.0.0/24', rangeStart: '10.89.0.0', rangeEnd: '10.89.0.255' }, 'r');
    expect(show(range)).toMatchObject({ start: '10.89.0.1', end: '10.89.0.254' });
  });

  it.each([
    [{ subnet: '10.89.0.0' }, 'ranges[0].subnet "10.89.0.0" is not a subnet in CIDR notation'],
    [{ subnet: 'banana/24' }, 'not a subnet'],
    [{ subnet: '10.89.0.1/24' }, 'ranges[0].subnet 10.89.0.1/24 has host bits set'],
    [{ subnet: '10.89.0.0/31' }, 'too small'],
    [{ subnet: 'fd89::/127' }, 'too small'],
    [{ subnet: '10.89.0.0/24', gateway: '10.90.0.1' }, 'ranges[0].gateway 10.90.0.1 is outside subnet 10.89.0.0/24'],
    [{ subnet: '10.89.0.0/24', gateway: 'fd89::1' }, 'outside subnet'],
    [{ subnet: '10.89.0.0/24', gateway: 'nope' }, 'ranges[0].gateway "nope" is not an IP address'],
    [{ subnet: '10.89.0.0/24', gateway: '10.89.0.255' }, 'network or broadcast'],
    [{ subnet: '10.89.0.0/24', rangeStart: '10.89.1.5' }, 'ranges[0].rangeStart 10.89.1.5 is outside subnet'],
    [{ subnet: '10.89.0.0/24', rangeEnd: '10.88.0.5' }, 'ranges[0].rangeEnd 10.88.0.5 is outside subnet'],
    [{ subnet: '10.89.0.0/24', rangeStart: '10.89.0.50', rangeEnd: '10.89.0.40' }, 'rangeStart 10.89.0.50 is after rangeEnd 10.89.0.40'],
    [{ subnet: '10.89.0.0/24', rangeStart: '10.89.0.255' }, 'holds only the network or broadcast address'],
  ])('refuses %j with code 7', async (config, message) => {
    const error = await failure(() => parseRange(config, 'ranges[0]'));
    expect(error.code).toBe(7);
    expect(`${error.message} ${error.details ?? ''}`).toContain(message);
  });
});

describe('range sets', () => {
  it('finds the range holding an address and knows what is allocatable', () => {
    const set = parseRangeSet(
      [{ subnet: '10.89.0.0/24', rangeStart: '10.89.0.10', rangeEnd: '10.89.0.20' }, { subnet: '10.90.0.0/24' }],
      'ranges[0]',
    );
    expect(rangeFor(set, addr('10.89.0.15'))).toBe(set[0]);
    expect(rangeFor(set, addr('10.89.0.21'))).toBeUndefined();
    expect(rangeFor(set, addr('10.90.0.7'))).toBe(set[1]);
    expect(isAllocatable(set, addr('10.90.0.1'))).toBe(false);
    expect(isAllocatable(set, addr('10.90.0.2'))).toBe(true);
    expect(allocatableCount(set)).toBe(11n + 253n);
    expect(formatRange(set[0]!)).toBe('10.89.0.10-10.89.0.20 of 10.89.0.0/24');
  });

  it('refuses empty sets, mixed families and overlapping ranges', async () => {
    expect((await failure(() => parseRangeSet([], 'ranges[1]'))).message).toBe('ranges[1] is an empty range set');
    const mixed = await failure(() => parseRangeSet([{ subnet: '10.89.0.0/24' }, { subnet: 'fd89::/64' }], 'ranges[0]'));
    expect(mixed).toMatchObject({ code: 7, message: 'ranges[0] mixes IPv4 and IPv6 ranges' });
    const overlap = await failure(() =>
      parseRangeSet(
        [
          { subnet: '10.89.0.0/24', rangeStart: '10.89.0.10', rangeEnd: '10.89.0.20' },
          { subnet: '10.89.0.0/24', rangeStart: '10.89.0.20', rangeEnd: '10.89.0.30' },
        ],
        'ranges[0]',
      ),
    );
    expect(overlap.code).toBe(7);
    expect(overlap.message).toContain('overlap');
  });

  it('allows split ranges of one subnet that do not overlap', () => {
    const set = parseRangeSet(
      [
        { subnet: '10.89.0.0/24', rangeStart: '10.89.0.10', rangeEnd: '10.89.0.19' },
        { subnet: '10.89.0.0/24', rangeStart: '10.89.0.20', rangeEnd: '10.89.0.30' },
      ],
      'ranges[0]',
    );
    expect(set).toHaveLength(2);
  });

  it('refuses range sets that overlap each other', async () => {
    const a = parseRangeSet([{ subnet: '10.89.0.0/16' }], 'a');
    const b = parseRangeSet([{ subnet: '10.89.5.0/24' }], 'b');
    const c = parseRangeSet([{ subnet: 'fd89::/64' }], 'c');
    expect(() => checkRangeSetsDisjoint([a, c], ['a', 'c'])).not.toThrow();
    expect(await failure(() => checkRangeSetsDisjoint([a, c, b], ['a', 'c', 'b']))).toMatchObject({
      code: 7,
      message: 'range set a overlaps with b',
    });
  });
});
