import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Address,
  canonicalAddress,
  compareAddresses,
  familyOf,
  formatAddress,
  formatHostPort,
  isV4Mapped,
  offset,
  parseAddress,
  sameAddress,
} from '../../../lib/ip/address.js';

const v4 = (text: string) => parseAddress(text)!;
const MAX_V4 = (1n << 32n) - 1n;
const MAX_V6 = (1n << 128n) - 1n;
const anyAddress: fc.Arbitrary<Address> = fc.oneof(
  fc.bigInt(0n, MAX_V4).map((value) => ({ family: 4 as const, value })),
  fc.bigInt(0n, MAX_V6).map((value) => ({ family: 6 as const, value })),
);
/** What node:net says; it also takes a zone (`fe80::1%eth0`), which we refuse, so texts with `%` are left out. */
const nodeFamily = (text: string) => isIP(text) || undefined;
/** The WHATWG URL serializer writes IPv6 hosts in RFC 5952 form (v4-mapped ones in hex). */
const urlForm = (text: string) => new URL(`http://[${text}]/`).hostname.slice(1, -1);

describe('parseAddress / formatAddress', () => {
  it('round-trips IPv4', () => {
    expect(parseAddress('10.89.0.5')).toEqual({ family: 4, value: 0x0a590005n });
    expect(formatAddress({ family: 4, value: 0x0a590005n })).toBe('10.89.0.5');
    expect(formatAddress(v4('255.255.255.255'))).toBe('255.255.255.255');
  });

  it('rejects what is not a bare address', () => {
    const bad = [
      ...['', '10.0.0', '10.0.0.256', '010.0.0.1', '10.0.0.1.', '.10.0.0.1', '10..0.1', '1e1.0.0.1', ' 10.0.0.1', '10.0.0.1/24', 'x'],
      ...['fe80::1%eth0', ':::', '1::2::3', ':1::', '::1:', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::', '12345::'],
      ...['::g', '1.2.3.4::', '::1.2.3', '::1.2.3.256', '::01.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3.4:5', 'fd89::/64'],
    ];
    for (const text of bad) expect(parseAddress(text), text).toBeUndefined();
  });

  it('accepts what Go accepts', () => {
    const good = ['0.0.0.0', '255.255.255.255', '::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'];
    for (const text of [...good, '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', 'ABCD:ef01::', '0:0:0:0:0:0:0:0']) {
      expect(parseAddress(text), text).toBeDefined();
    }
    expect(parseAddress('1:2:3:4:5:6:1.2.3.4')?.value).toBe(0x00010002000300040005000601020304n);
  });

  // Go's net.IP.String(), which names host-local's store files (RFC 5952; v4-mapped dotted).
  it.each([
    ['fd89::', 'fd89::'],
    ['FD89:0000:0000:0000:0000:0000:0000:0001', 'fd89::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['2001:db8::ffff:0:1', '2001:db8::ffff:0:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['64:ff9b::10.1.2.3', '64:ff9b::a01:203'],
    ['fd89::1:0', 'fd89::1:0'],
  ])('formats %s as %s', (input, expected) => {
    const address = parseAddress(input)!;
    expect(address.family).toBe(6);
    expect(formatAddress(address)).toBe(expected);
    expect(canonicalAddress(input)).toBe(expected);
  });

  it('round-trips every address: text and back gives the same address (a v4-mapped one comes back as IPv4)', () => {
    fc.assert(
      fc.property(anyAddress, (address) => {
        const again = parseAddress(formatAddress(address));
        const expected = isV4Mapped(address) ? { family: 4, value: address.value & MAX_V4 } : address;
        expect(again).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes IPv6 as RFC 5952 says (the URL standard agrees), and every text is valid to node:net', () => {
    fc.assert(
      fc.property(anyAddress, (address) => {
        const text = formatAddress(address);
        expect(isIP(text)).toBe(isV4Mapped(address) ? 4 : address.family);
        if (address.family === 6 && !isV4Mapped(address)) expect(text).toBe(urlForm(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads every form fast-check writes, to the same canonical text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const canonical = canonicalAddress(text);
        expect(canonical).toBeDefined();
        expect(canonicalAddress(canonical!)).toBe(canonical);
        expect(familyOf(text)).toBe(isIP(text));
        if (isIP(canonical!) === 6) expect(canonical).toBe(urlForm(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with node:net isIP on random inputs', () => {
    const pieces = ['0', '1', '9', 'f', 'F', 'ff', 'ffff', '10', '255', '256', '01', ':', '::', '.', '1.2.3.4', 'fffff', 'g', ' '];
    const glued = fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 12 }).map((list) => list.join(''));
    const text = fc.oneof(
      glued,
      fc.ipV4Extended(),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'), maxLength: 45 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        fc.pre(!t.includes('%') && !t.includes('/'));
        expect(familyOf(t)).toBe(nodeFamily(t));
        expect(parseAddress(t) !== undefined).toBe(isIP(t) !== 0);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('familyOf', () => {
  it('takes an address or an address/prefix', () => {
    expect(familyOf('10.0.0.1')).toBe(4);
    expect(familyOf('10.0.0.1/24')).toBe(4);
    expect(familyOf('fd89::1')).toBe(6);
    expect(familyOf('fd89::/64')).toBe(6);
    expect(familyOf('::ffff:10.0.0.1')).toBe(6);
    expect(familyOf('web')).toBeUndefined();
    expect(familyOf('')).toBeUndefined();
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6 only', () => {
    expect(formatHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(formatHostPort('fd89::1', 80)).toBe('[fd89::1]:80');
    expect(formatHostPort('?', '?')).toBe('?:?');
  });
});

describe('comparison and arithmetic', () => {
  it('crosses octet and group borders', () => {
    expect(formatAddress(offset(v4('10.0.0.255'), 1n))).toBe('10.0.1.0');
    expect(formatAddress(offset(parseAddress('fd89::ffff')!, 1n))).toBe('fd89::1:0');
    expect(compareAddresses(v4('10.0.0.2'), v4('10.0.0.10'))).toBeLessThan(0);
  });

  it('orders IPv4 before IPv6, then by value, and sameAddress is compare = 0', () => {
    fc.assert(
      fc.property(anyAddress, anyAddress, (a, b) => {
        const order = compareAddresses(a, b);
        // + 0: equal addresses compare 0 either way, and -0 is not 0 to toBe
        expect(Math.sign(compareAddresses(b, a))).toBe(-Math.sign(order) + 0);
        expect(order === 0).toBe(sameAddress(a, b));
        if (a.family !== b.family) expect(Math.sign(order)).toBe(a.family === 4 ? -1 : 1);
      }),
    );
    expect(sameAddress(v4('10.0.0.1'), undefined)).toBe(false);
  });
});
