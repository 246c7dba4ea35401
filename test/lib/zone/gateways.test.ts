import { describe, expect, it } from 'vitest';
import type { Address } from '../../../lib/rtnl/addresses.js';
import { checkIpamAddresses, checkMtuFits, checkRouteGateways, gatewaysOf, isGatewayAddress, subnetOf } from '../../../lib/zone/plan.js';

describe('gatewaysOf', () => {
  it('gives one gateway per family with the prefix length of its subnet', () => {
    const gateways = gatewaysOf([
      { address: '10.89.0.2/24', gateway: '10.89.0.1' },
      { address: 'fd89::2/64', gateway: 'fd89::1' },
    ]);
    expect(gateways).toEqual([
      { cidr: '10.89.0.1/24', address: '10.89.0.1', prefix: 24, family: 4 },
      { cidr: 'fd89::1/64', address: 'fd89::1', prefix: 64, family: 6 },
    ]);
  });

  it('keeps one copy of a gateway that several IPAM entries share', () => {
    const gateways = gatewaysOf([
      { address: '10.89.0.2/24', gateway: '10.89.0.1' },
      { address: '10.89.0.3/24', gateway: '10.89.0.1' },
    ]);
    expect(gateways.map((g) => g.cidr)).toEqual(['10.89.0.1/24']);
  });

  it('gives nothing for IPAM entries without a gateway', () => {
    expect(gatewaysOf([{ address: '10.89.0.2/24' }])).toEqual([]);
    expect(gatewaysOf([])).toEqual([]);
  });

  it('keeps gateways of two subnets of one family apart', () => {
    const gateways = gatewaysOf([
      { address: '10.89.0.2/24', gateway: '10.89.0.1' },
      { address: '10.90.0.2/16', gateway: '10.90.0.1' },
    ]);
    expect(gateways.map((g) => g.cidr)).toEqual(['10.89.0.1/24', '10.90.0.1/16']);
  });
});

describe('subnetOf', () => {
  it('clears the host bits', () => {
    expect(subnetOf(gatewaysOf([{ address: '10.89.0.2/24', gateway: '10.89.0.1' }])[0]!)).toBe('10.89.0.0/24');
    expect(subnetOf(gatewaysOf([{ address: '10.89.7.9/20', gateway: '10.89.0.1' }])[0]!)).toBe('10.89.0.0/20');
    expect(subnetOf(gatewaysOf([{ address: 'fd89:0:0:1::2/64', gateway: 'fd89:0:0:1::1' }])[0]!)).toBe('fd89:0:0:1::/64');
  });
});

describe('isGatewayAddress', () => {
  const present = (address: string, prefixLength: number): Address => ({
    index: 3,
    family: address.includes(':') ? 6 : 4,
    address,
    prefixLength,
    cidr: `${address}/${prefixLength}`,
    scope: 0,
    broadcast: undefined,
    tentative: false,
    dadFailed: false,
    noDad: true,
    permanent: true,
  });
  const [v4, v6] = gatewaysOf([
    { address: '10.89.0.2/24', gateway: '10.89.0.1' },
    { address: 'fd89::2/64', gateway: 'fd89::1' },
  ]);

  it('matches the same address and prefix, whatever the spelling of an IPv6 address', () => {
    expect(isGatewayAddress(present('10.89.0.1', 24), v4!)).toBe(true);
    expect(isGatewayAddress(present('fd89:0:0::1', 64), v6!)).toBe(true);
    expect(isGatewayAddress(present('FD89::1', 64), v6!)).toBe(true);
  });

  it('does not match another address or another prefix length', () => {
    expect(isGatewayAddress(present('10.89.0.2', 24), v4!)).toBe(false);
    expect(isGatewayAddress(present('10.89.0.1', 16), v4!)).toBe(false);
    expect(isGatewayAddress(present('fd89::1', 128), v6!)).toBe(false);
  });
});

describe('checkMtuFits', () => {
  const dual = gatewaysOf([
    { address: '10.89.0.2/24', gateway: '10.89.0.1' },
    { address: 'fd89::2/64', gateway: 'fd89::1' },
  ]);
  const v4Only = gatewaysOf([{ address: '10.89.0.2/24', gateway: '10.89.0.1' }]);

  it('lets any MTU through for IPv4 only, and 1280 or more with IPv6', () => {
    expect(() => checkMtuFits(undefined, dual)).not.toThrow();
    expect(() => checkMtuFits(1280, dual)).not.toThrow();
    expect(() => checkMtuFits(576, v4Only)).not.toThrow();
  });

  it('refuses less than 1280 with IPv6, naming the subnet (code 7)', () => {
    let error: { code?: number; message?: string } = {};
    try {
      checkMtuFits(1279, dual);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error.code).toBe(7);
    expect(error.message).toMatch(/mtu 1279 is below 1280.*fd89::\/64/);
  });
});

describe('checkIpamAddresses', () => {
  const refused = (ips: Parameters<typeof checkIpamAddresses>[0]) => {
    try {
      checkIpamAddresses(ips);
    } catch (e) {
      return e as { code: number; message: string };
    }
    return undefined;
  };

  it('takes what zone-ipam and host-local hand out', () => {
    expect(
      refused([
        { address: '10.89.0.2/24', gateway: '10.89.0.1' },
        { address: 'fd89::2/64', gateway: 'fd89::1' },
      ]),
    ).toBeUndefined();
    expect(refused([{ address: '10.89.0.2/24' }])).toBeUndefined();
  });

  it.each([
    ['an address that is its own gateway', { address: '10.89.0.1/24', gateway: '10.89.0.1' }, /same address as its gateway/],
    ['the same in IPv6, written differently', { address: 'fd89:0::1/64', gateway: 'fd89::1' }, /same address as its gateway/],
    ['a /0 subnet', { address: '10.89.0.2/0', gateway: '10.89.0.1' }, /\/0 subnet/],
    ['::/0', { address: 'fd89::2/0' }, /\/0 subnet/],
    ['a gateway outside the subnet', { address: '10.89.0.2/24', gateway: '10.90.0.1' }, /outside 10\.89\.0\.0\/24/],
    ['a gateway of the other family', { address: '10.89.0.2/24', gateway: 'fd89::1' }, /outside/],
    ['a /32 with a gateway', { address: '10.89.0.2/32', gateway: '10.89.0.1' }, /outside/],
  ])('refuses %s (code 7)', (_, ip, why) => {
    const error = refused([{ address: '10.88.0.2/24', gateway: '10.88.0.1' }, ip]);
    expect(error?.code).toBe(7);
    expect(error?.message).toMatch(why);
  });
});

describe('checkRouteGateways', () => {
  const ips = [
    { address: '10.89.0.2/24', gateway: '10.89.0.1' },
    { address: 'fd89::2/64', gateway: 'fd89::1' },
  ];

  it('takes gateways in the container subnets, IPv6 link-local ones, and routes without a gateway', () => {
    const routes = [
      { dst: '0.0.0.0/0', gw: '10.89.0.1' },
      { dst: '192.0.2.0/24', gw: '10.89.0.200' },
      { dst: '2001:db8::/32', gw: 'fe80::1' },
      { dst: '198.51.100.0/24' },
    ];
    expect(() => checkRouteGateways(routes, ips)).not.toThrow();
  });

  it('refuses a gateway of the other family than the destination (code 7)', () => {
    expect(() => checkRouteGateways([{ dst: '::/0', gw: '10.89.0.1' }], ips)).toThrow(
      expect.objectContaining({ code: 7, message: expect.stringMatching(/other address family/) }),
    );
    expect(() => checkRouteGateways([{ dst: '0.0.0.0/0', gw: 'fe80::1' }], ips)).toThrow(expect.objectContaining({ code: 7 }));
  });

  it('refuses a gateway the container cannot reach (code 7), naming the route', () => {
    expect(() => checkRouteGateways([{ dst: '192.0.2.0/24', gw: '10.99.0.1' }], ips)).toThrow(
      expect.objectContaining({ code: 7, message: expect.stringMatching(/route to 192\.0\.2\.0\/24 via 10\.99\.0\.1/) }),
    );
  });
});
