import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  compareAddresses,
  formatAddress,
  lastAddressOf,
  networkOf,
  offset,
  parseAddress,
  parseAddressOrCidr,
  parseCidr,
  subnetContains,
} from '../../../lib/ipam/address.js';

const v4 = (text: string) => parseAddress(text)!;

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
    for (const text of bad) {
      expect(parseAddress(text), text).toBeUndefined();
    }
  });

  it('accepts what Go accepts', () => {
    const good = ['0.0.0.0', '255.255.255.255', '::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'];
    for (const text of [...good, '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', 'ABCD:ef01::', '0:0:0:0:0:0:0:0']) {
      expect(parseAddress(text), text).toBeDefined();
    }
    expect(parseAddress('1:2:3:4:5:6:1.2.3.4')?.value).toBe(0x00010002000300040005000601020304n);
  });

  it('agrees with node:net on a spread of inputs', () => {
    const samples = ['10.1.2.3', '::ffff:1.2.3.4', '2001:db8::', 'fe80::1:2', '1.2.3', '::x', '1:2::3:4::', '256.1.1.1'];
    for (const text of samples) expect(parseAddress(text) !== undefined, text).toBe(isIP(text) !== 0);
  });

  it('agrees with node:net on many generated strings', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pieces = ['0', '1', '9', 'f', 'ff', 'ffff', '10', '255', '256', '01', ':', '::', '.', '1.2.3.4', 'fffff'];
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      expect(parseAddress(text) !== undefined, text).toBe(isIP(text) !== 0);
    }
  });

  // Go's net.IP.String(), which names host-local's store files (RFC 5952).
  it.each([
    ['fd89::', 'fd89::'],
    ['FD89:0000:0000:0000:0000:0000:0000:0001', 'fd89::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::ffff:0:1', '2001:db8::ffff:0:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['64:ff9b::10.1.2.3', '64:ff9b::a01:203'],
    ['fd89::1:0', 'fd89::1:0'],
  ])('formats %s as %s', (input, expected) => {
    const address = parseAddress(input)!;
    expect(address.family).toBe(6);
    expect(formatAddress(address)).toBe(expected);
  });
});

describe('CIDR helpers', () => {
  it('parses a prefix and keeps host bits for the caller to judge', () => {
    expect(parseCidr('10.89.0.7/24')).toEqual({ address: v4('10.89.0.7'), prefix: 24 });
    expect(parseCidr('fd89::/64')?.prefix).toBe(64);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', 'fd89::/129', 'x/8', '10.0.0.0/']) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });

  it('accepts requested addresses with or without prefix', () => {
    expect(parseAddressOrCidr('10.0.0.5/24')).toEqual(v4('10.0.0.5'));
    expect(parseAddressOrCidr('10.0.0.5')).toEqual(v4('10.0.0.5'));
    expect(parseAddressOrCidr('10.0.0.5/40')).toBeUndefined();
  });

  it('computes network, last address and containment', () => {
    expect(formatAddress(networkOf(v4('10.89.3.77'), 22))).toBe('10.89.0.0');
    const subnet = { network: v4('10.89.0.0'), prefix: 24 };
    expect(formatAddress(lastAddressOf(subnet))).toBe('10.89.0.255');
    expect(subnetContains(subnet, v4('10.89.0.200'))).toBe(true);
    expect(subnetContains(subnet, v4('10.89.1.0'))).toBe(false);
    expect(subnetContains(subnet, parseAddress('::a59:1')!)).toBe(false);
    const v6 = { network: parseAddress('fd89::')!, prefix: 64 };
    expect(formatAddress(lastAddressOf(v6))).toBe('fd89::ffff:ffff:ffff:ffff');
  });

  it('does arithmetic across octet and group borders', () => {
    expect(formatAddress(offset(v4('10.0.0.255'), 1n))).toBe('10.0.1.0');
    expect(formatAddress(offset(parseAddress('fd89::ffff')!, 1n))).toBe('fd89::1:0');
    expect(compareAddresses(v4('10.0.0.2'), v4('10.0.0.10'))).toBeLessThan(0);
  });
});
