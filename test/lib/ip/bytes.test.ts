import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Address, familyBits, formatAddress, type IpFamily, parseAddress } from '../../../lib/ip/address.js';
import { addressBytes, addressFromBytes, afOf, familyOfAf } from '../../../lib/ip/bytes.js';

const anyAddress = fc
  .constantFrom<IpFamily>(4, 6)
  .chain((family) => fc.bigInt(0n, (1n << BigInt(familyBits(family))) - 1n).map((value): Address => ({ family, value })));

describe('addressBytes / addressFromBytes', () => {
  it('encodes IPv4 as 4 bytes', () => {
    expect([...addressBytes(parseAddress('10.89.0.1')!)]).toEqual([10, 89, 0, 1]);
  });

  it.each([
    ['fd89::1', 'fd89:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['fe80::', 'fe80:0:0:0:0:0:0:0'],
    ['2001:db8::ff00:42:8329', '2001:db8:0:0:0:ff00:42:8329'],
    ['::ffff:10.0.0.1', '0:0:0:0:0:ffff:a00:1'],
  ])('encodes IPv6 %s as 16 bytes', (text, full) => {
    const bytes = addressBytes(parseAddress(text)!);
    expect(Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':')).toBe(full);
  });

  it('decodes 4 and 16 bytes only', () => {
    expect(addressFromBytes(Buffer.from([10, 0, 0, 1]))).toEqual(parseAddress('10.0.0.1'));
    expect(formatAddress(addressFromBytes(Buffer.from('fd890000000000000000000000000001', 'hex'))!)).toBe('fd89::1');
    for (const length of [0, 3, 5, 15, 17]) expect(addressFromBytes(Buffer.alloc(length))).toBeUndefined();
  });

  it('round-trips every address, in network order', () => {
    fc.assert(
      fc.property(anyAddress, (address) => {
        const bytes = addressBytes(address);
        expect(bytes.toString('hex')).toBe(address.value.toString(16).padStart(familyBits(address.family) / 4, '0'));
        expect(addressFromBytes(bytes)).toEqual(address);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('address families', () => {
  it('maps 4 and 6 to AF_INET and AF_INET6 and back', () => {
    expect(afOf(4)).toBe(2);
    expect(afOf(6)).toBe(10);
    expect(familyOfAf(2)).toBe(4);
    expect(familyOfAf(10)).toBe(6);
    expect(familyOfAf(7)).toBeUndefined();
    expect(familyOfAf(undefined)).toBeUndefined();
  });
});
