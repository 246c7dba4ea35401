import { describe, expect, it } from 'vitest';
import type { ContainerNamespace } from '../../../lib/zone/world.js';
import type { Rtnl } from '../../../lib/rtnl/client.js';
import { refused } from '../../../lib/rtnl/errors.js';
import type { RouteSpec } from '../../../lib/rtnl/routes.js';
import { configureContainer, effectiveRoutes } from '../../../lib/zone/container.js';
import { gatewaysOf } from '../../../lib/zone/plan.js';

const dual = gatewaysOf([
  { address: '10.89.0.2/24', gateway: '10.89.0.1' },
  { address: 'fd89::2/64', gateway: 'fd89::1' },
]);
const v4Only = gatewaysOf([{ address: '10.89.0.2/24', gateway: '10.89.0.1' }]);

describe('effectiveRoutes', () => {
  it('gives a default route per family through its gateway when IPAM gives no routes', () => {
    const expected = [
      { dst: '0.0.0.0/0', gw: '10.89.0.1' },
      { dst: '::/0', gw: 'fd89::1' },
    ];
    expect(effectiveRoutes(undefined, dual)).toEqual(expected);
    expect(effectiveRoutes([], dual)).toEqual(expected);
    expect(effectiveRoutes(undefined, v4Only)).toEqual([{ dst: '0.0.0.0/0', gw: '10.89.0.1' }]);
  });

  it('gives no route at all without gateways and without IPAM routes', () => {
    expect(effectiveRoutes(undefined, [])).toEqual([]);
  });

  it('takes IPAM routes instead of the defaults, filling in the gateway of their family', () => {
    expect(effectiveRoutes([{ dst: '192.0.2.0/24' }, { dst: '2001:db8::/64' }], dual)).toEqual([
      { dst: '192.0.2.0/24', gw: '10.89.0.1' },
      { dst: '2001:db8::/64', gw: 'fd89::1' },
    ]);
  });

  it('keeps a gateway IPAM gave and every other field of the route', () => {
    const route = { dst: '198.51.100.0/24', gw: '10.89.0.254', mtu: 1400, priority: 50 };
    expect(effectiveRoutes([route], dual)).toEqual([route]);
    expect(effectiveRoutes([{ dst: '0.0.0.0/0', mtu: 1280 }], dual)).toEqual([{ dst: '0.0.0.0/0', gw: '10.89.0.1', mtu: 1280 }]);
  });

  it('leaves a route without a gateway when its family has none', () => {
    expect(effectiveRoutes([{ dst: '2001:db8::/64' }], v4Only)).toEqual([{ dst: '2001:db8::/64' }]);
  });

  it('does not change the routes it was given', () => {
    const given = [{ dst: '192.0.2.0/24' }];
    effectiveRoutes(given, dual);
    expect(given).toEqual([{ dst: '192.0.2.0/24' }]);
  });
});

describe('configureContainer', () => {
  // Records the calls; routes to `taken` destinations are refused as the kernel refuses a
  // route another interface holds already. IPv4 only: IPv6 writes sysctls inside a namespace.
  function fakeRtnl(taken: string[] = []) {
    const calls: string[] = [];
    const rt = {
      async addAddress(ref: string, cidr: string) {
        calls.push(`address ${ref} ${cidr}`);
      },
      async setUp(ref: string) {
        calls.push(`up ${ref}`);
      },
      async addRoute(spec: RouteSpec & { dev: string }) {
        if (taken.includes(spec.dst)) throw refused(`add route ${spec.dst}`, 17); // EEXIST
        calls.push(`route ${spec.dst} via ${spec.gw} dev ${spec.dev}`);
      },
    };
    return { rt: rt as unknown as Rtnl, calls };
  }
  const netns = { writeSysctls: async () => undefined } as unknown as ContainerNamespace;
  const setup = {
    ifname: 'eth1',
    ips: [{ address: '10.90.0.2/24', gateway: '10.90.0.1' }],
    routes: [
      { dst: '0.0.0.0/0', gw: '10.90.0.1' },
      { dst: '192.0.2.0/24', gw: '10.90.0.1' },
    ],
    ipv6Dad: false,
  };

  it('adds addresses, brings the interface and lo up, then adds the routes, and returns them', async () => {
    const { rt, calls } = fakeRtnl();
    expect(await configureContainer(netns, rt, setup)).toEqual(setup.routes);
    expect(calls).toEqual([
      'address eth1 10.90.0.2/24',
      'up eth1',
      'up lo',
      'route 0.0.0.0/0 via 10.90.0.1 dev eth1',
      'route 192.0.2.0/24 via 10.90.0.1 dev eth1',
    ]);
  });

  it('leaves out of its answer a route another interface holds already', async () => {
    const { rt, calls } = fakeRtnl(['0.0.0.0/0']);
    expect(await configureContainer(netns, rt, setup)).toEqual([{ dst: '192.0.2.0/24', gw: '10.90.0.1' }]);
    expect(calls).not.toContain('route 0.0.0.0/0 via 10.90.0.1 dev eth1');
  });

  it('fails on any other refusal', async () => {
    const { rt } = fakeRtnl();
    (rt as unknown as { addRoute: () => Promise<void> }).addRoute = async () => {
      throw refused('add route', 101); // ENETUNREACH
    };
    await expect(configureContainer(netns, rt, setup)).rejects.toThrow(/ENETUNREACH/);
  });
});
