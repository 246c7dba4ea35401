import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Address, familyBits, formatAddress, type IpFamily, isV4Mapped, parseAddress } from '../../../lib/ip/address.js';
import {
  formatCidr,
  formatSubnet,
  isCidr,
  lastAddressOf,
  networkOf,
  parseAddressOrCidr,
  parseCidr,
  stripPrefix,
  subnetContains,
  subnetOf,
} from '../../../lib/ip/cidr.js';

const v4 = (text: string) => parseAddress(text)!;
const v6 = (text: string) => parseAddress(text)!;
const family = fc.constantFrom<IpFamily>(4, 6);
const cidrOf = (f: IpFamily) =>
  fc.record({
    address: fc.bigInt(0n, (1n << BigInt(familyBits(f))) - 1n).map((value): Address => ({ family: f, value })),
    prefix: fc.integer({ min: 0, max: familyBits(f) }),
  });
const anyCidr = family.chain(cidrOf);

describe('parseCidr', () => {
  it('parses a prefix and keeps host bits for the caller to judge', () => {
    expect(parseCidr('10.89.0.7/24')).toEqual({ address: v4('10.89.0.7'), prefix: 24 });
    expect(parseCidr('fd89::/64')?.prefix).toBe(64);
    expect(formatCidr(parseCidr('FD89:0::2/64')!)).toBe('fd89::2/64');
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', 'fd89::/129', 'x/8', '10.0.0.0/', '10.0.0.1/x', '10.0.0.1/1234', '10.0.0.1/ 8'])(
    'rejects %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
      expect(isCidr(text)).toBe(false);
    },
  );

  it.each(['10.0.0.1/24', '0.0.0.0/0', 'fd00::1/64', '::/0'])('accepts %s', (text) => expect(isCidr(text)).toBe(true));

  it('accepts requested addresses with or without prefix', () => {
    expect(parseAddressOrCidr('10.0.0.5/24')).toEqual(v4('10.0.0.5'));
    expect(parseAddressOrCidr('10.0.0.5')).toEqual(v4('10.0.0.5'));
    expect(parseAddressOrCidr('10.0.0.5/40')).toBeUndefined();
  });

  it('strips a prefix, and leaves a bare address as it is', () => {
    expect(stripPrefix('10.0.0.5/24')).toBe('10.0.0.5');
    expect(stripPrefix('fd89::5')).toBe('fd89::5');
  });

  it('round-trips every address/prefix through its text', () => {
    fc.assert(
      fc.property(anyCidr, (cidr) => {
        fc.pre(!isV4Mapped(cidr.address));
        expect(parseCidr(formatCidr(cidr))).toEqual(cidr);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('subnets', () => {
  it('computes network, last address and containment', () => {
    expect(formatAddress(networkOf(v4('10.89.3.77'), 22))).toBe('10.89.0.0');
    expect(formatSubnet(subnetOf(parseCidr('10.89.7.200/22')!))).toBe('10.89.4.0/22');
    expect(formatSubnet(subnetOf(parseCidr('fd89::1:2/112')!))).toBe('fd89::1:0/112');
    expect(formatSubnet(subnetOf(parseCidr('10.1.2.3/0')!))).toBe('0.0.0.0/0');
    const subnet = { network: v4('10.89.0.0'), prefix: 24 };
    expect(formatAddress(lastAddressOf(subnet))).toBe('10.89.0.255');
    expect(formatAddress(lastAddressOf(subnetOf(parseCidr('172.16.5.9/12')!)))).toBe('172.31.255.255');
    expect(formatAddress(lastAddressOf(subnetOf(parseCidr('10.0.0.1/0')!)))).toBe('255.255.255.255');
    expect(subnetContains(subnet, v4('10.89.0.200'))).toBe(true);
    expect(subnetContains(subnet, v4('10.89.1.0'))).toBe(false);
    expect(subnetContains(subnet, v6('::a59:1'))).toBe(false);
    expect(formatAddress(lastAddressOf({ network: v6('fd89::'), prefix: 64 }))).toBe('fd89::ffff:ffff:ffff:ffff');
  });

  it('writes a one-address subnet bare only when asked, as nft lists it', () => {
    expect(formatSubnet(subnetOf(parseCidr('10.1.2.3/32')!))).toBe('10.1.2.3/32');
    expect(formatSubnet(subnetOf(parseCidr('10.1.2.3/32')!), { bareHost: true })).toBe('10.1.2.3');
    expect(formatSubnet(subnetOf(parseCidr('fd89::5/128')!), { bareHost: true })).toBe('fd89::5');
    expect(formatSubnet(subnetOf(parseCidr('10.1.2.3/24')!), { bareHost: true })).toBe('10.1.2.0/24');
  });

  it('puts every address between its network and last address, all three inside the subnet', () => {
    fc.assert(
      fc.property(anyCidr, (cidr) => {
        const subnet = subnetOf(cidr);
        const last = lastAddressOf(subnet);
        expect(subnet.network.value <= cidr.address.value && cidr.address.value <= last.value).toBe(true);
        expect(networkOf(subnet.network, cidr.prefix)).toEqual(subnet.network);
        expect(last.value - subnet.network.value).toBe((1n << BigInt(familyBits(cidr.address.family) - cidr.prefix)) - 1n);
        for (const a of [cidr.address, subnet.network, last]) expect(subnetContains(subnet, a)).toBe(true);
        if (subnet.network.value > 0n) expect(subnetContains(subnet, { ...subnet.network, value: subnet.network.value - 1n })).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with node:net BlockList on containment', () => {
    // Addresses near the subnet: the subnet's address with some of its low bits flipped.
    const near = family.chain((f) =>
      fc.tuple(cidrOf(f), fc.integer({ min: 0, max: familyBits(f) }), fc.bigInt(0n, (1n << BigInt(familyBits(f))) - 1n)),
    );
    fc.assert(
      fc.property(near, ([cidr, bits, noise]) => {
        const candidate: Address = { family: cidr.address.family, value: cidr.address.value ^ (noise & ((1n << BigInt(bits)) - 1n)) };
        fc.pre(!isV4Mapped(cidr.address) && !isV4Mapped(candidate));
        const type = cidr.address.family === 4 ? 'ipv4' : 'ipv6';
        const list = new BlockList();
        list.addSubnet(formatAddress(cidr.address), cidr.prefix, type);
        expect(subnetContains(subnetOf(cidr), candidate)).toBe(list.check(formatAddress(candidate), type));
      }),
      { numRuns: 2000 },
    );
  });
});
