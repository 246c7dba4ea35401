// A zone that spans two hosts, netlink backend: two sandbox "hosts" joined by a veth underlay
// (192.0.2.1 and 192.0.2.2, MTU 1500), each running the zone plugin with its own state, one
// subnet with a range and a gateway per host. Members on different hosts talk TCP and UDP both
// ways, 256 KiB arrive intact each way (frames of the full zone MTU cross the VXLAN), each member
// reaches its own gateway, CHECK passes and sees a peer taken away, a change of peers takes
// effect with the next ADD without touching running members, a DEL on one host leaves the other
// host's members working, and the last member's DEL plus `zonectl remove-zone` leave nothing of
// the zone on a host.
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { EXCHANGED, exchange, floodPeers, pings, startExchangeServer } from '../support/cross-host-traffic.js';
import { addAddress, createVethPair, ipIn, type Netns, nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import { bundleZone, createZoneWorld, useZoneBundle, type ZoneWorld, zoneTools } from '../support/zone-world.js';

const priv = privileged(zoneTools);

useZoneBundle();

const SUBNET4 = '10.89.0.0/24';
const SUBNET6 = 'fd89::/64';

/** Host `n` (1 or 2): its own range and gateway in the zone's one subnet, v4 and v6. */
function hostRanges(n: 1 | 2) {
  const base = n === 1 ? 0 : 100;
  return [
    [{ subnet: SUBNET4, rangeStart: `10.89.0.${base + 10}`, rangeEnd: `10.89.0.${base + 99}`, gateway: `10.89.0.${base + 1}` }],
    [{ subnet: SUBNET6, rangeStart: `fd89::${base + 10}`, rangeEnd: `fd89::${base + 99}`, gateway: `fd89::${base + 1}` }],
  ];
}

async function twoHosts(): Promise<{ one: ZoneWorld; two: ZoneWorld }> {
  const one = await createZoneWorld({ ranges: hostRanges(1), plugin: { nameServer: false } });
  const two = await createZoneWorld({ ranges: hostRanges(2), plugin: { nameServer: false } });
  await createVethPair(one.host, two.host, { nameA: 'under0', nameB: 'under0' });
  await addAddress(one.host, 'under0', '192.0.2.1/24');
  await addAddress(two.host, 'under0', '192.0.2.2/24');
  return { one, two };
}

const vxlan = (local: string, peers: string[]) => ({ vxlan: { vni: 4242, local, peers } });

async function linksOf(ns: Netns): Promise<string[]> {
  return (await ipIn(ns, '-o', 'link', 'show')).stdout
    .split('\n')
    .map((line) => line.split(': ')[1]?.split('@')[0] ?? '')
    .filter((name) => /^v[xzb]-|^vz[0-9a-f]{13}$/.test(name));
}

priv.describe('zone plugin: a zone across two hosts over VXLAN (netlink backend)', () => {
  priv.it(
    'joins members of both hosts in one subnet, full MTU, both ways, and keeps each host to itself on DEL',
    async () => {
      const executable = await bundleZone();
      const { one, two } = await twoHosts();
      const confOne = (peers = ['192.0.2.2']) => one.conf(vxlan('192.0.2.1', peers));
      const confTwo = (peers = ['192.0.2.1']) => two.conf(vxlan('192.0.2.2', peers));
      const [a1, a2, b1] = [await one.container('a1'), await one.container('a2'), await two.container('b1')];
      const rA1 = await one.add({ container: a1, containerId: 'ctr-a1', conf: confOne() });
      await one.add({ container: a2, containerId: 'ctr-a2', conf: confOne() });
      const rB1 = await two.add({ container: b1, containerId: 'ctr-b1', conf: confTwo() });
      expect(rA1.ips.map((ip) => ip.address)).toEqual(['10.89.0.10/24', 'fd89::10/64']);
      expect(rB1.ips.map((ip) => ip.address)).toEqual(['10.89.0.110/24', 'fd89::110/64']);

      // the underlay's 1500 less VXLAN's 50, on every link of the zone
      for (const [ns, name] of [
        [one.host, 'vz-web'],
        [one.host, 'vx-web'],
        [two.host, 'vx-web'],
        [a1, 'eth0'],
        [b1, 'eth0'],
      ] as const) {
        const [link] = JSON.parse((await ipIn(ns, '-j', 'link', 'show', name)).stdout) as { mtu: number }[];
        expect(link?.mtu, `${name}`).toBe(1450);
      }
      expect(await floodPeers(one.host, 'vx-web')).toEqual(['192.0.2.2']);

      await startExchangeServer(one.sandbox, a1);
      await startExchangeServer(two.sandbox, b1);
      expect(await exchange(b1, '10.89.0.10')).toEqual(EXCHANGED);
      expect(await exchange(a1, '10.89.0.110')).toEqual(EXCHANGED);
      expect(await exchange(b1, 'fd89::10')).toEqual(EXCHANGED);
      expect(await exchange(a1, 'fd89::110')).toEqual(EXCHANGED);
      // each member's own host is its gateway
      expect(await pings(a1, '10.89.0.1')).toBe(true);
      expect(await pings(b1, '10.89.0.101')).toBe(true);

      // CHECK passes; with a peer missing from the port it says which
      const check = (world: ZoneWorld, ns: Netns, id: string, conf: object, prevResult: object) =>
        world.run('CHECK', { container: ns, containerId: id, conf: { ...conf, prevResult } });
      expect((await check(two, b1, 'ctr-b1', confTwo(), rB1)).exitCode).toBe(0);
      const drift = await check(two, b1, 'ctr-b1', confTwo(['192.0.2.1', '192.0.2.3']), rB1);
      expect(drift.exitCode).toBe(1);
      expect((drift.json as { msg: string }).msg).toMatch(/vx-web does not reach peer 192\.0\.2\.3/);

      // a third host joins: the next ADD adds its peer, the member already there keeps working
      const b2 = await two.container('b2');
      await two.add({ container: b2, containerId: 'ctr-b2', conf: confTwo(['192.0.2.1', '192.0.2.3']) });
      expect(await floodPeers(two.host, 'vx-web')).toEqual(['192.0.2.1', '192.0.2.3']);
      expect(await exchange(a1, '10.89.0.110')).toEqual(EXCHANGED);
      // and leaves again
      await two.del({ container: b2, containerId: 'ctr-b2', conf: confTwo() });
      const b3 = await two.container('b3');
      await two.add({ container: b3, containerId: 'ctr-b3', conf: confTwo() });
      expect(await floodPeers(two.host, 'vx-web')).toEqual(['192.0.2.1']);

      // a DEL on host one leaves host two's member and host one's other member talking
      await one.del({ container: a2, containerId: 'ctr-a2', conf: confOne() });
      expect(await exchange(b1, '10.89.0.10')).toEqual(EXCHANGED);

      // the last members go, then the zone: nothing of it is left on host two
      await two.del({ container: b1, containerId: 'ctr-b1', conf: confTwo() });
      await two.del({ container: b3, containerId: 'ctr-b3', conf: confTwo() });
      expect((await linksOf(two.host)).sort()).toEqual(['vx-web', 'vz-web']);
      const zonectl = (ns: Netns, ...args: string[]) =>
        nsExec(ns, join(dirname(executable), 'cni-zones'), ['zonectl', ...args], { reject: false, timeout: 30_000 });
      const refused = await zonectl(one.host, 'remove-zone', 'web');
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(/zone web still has members on its bridge: vz[0-9a-f]{13}\n/);
      const removal = await zonectl(two.host, 'remove-zone', 'web');
      expect(removal.exitCode, removal.stderr).toBe(0);
      expect(removal.stdout).toBe('zone web: removed vx-web, vz-web');
      expect(await linksOf(two.host)).toEqual([]);
      const tables = (await nsExec(two.host, 'nft', ['list', 'tables'])).stdout;
      expect(tables).not.toMatch(/bridge cni_zones/);
      expect((await nsExec(two.host, 'nft', ['list', 'table', 'inet', 'cni_zones'])).stdout).not.toMatch(/vz-web|10\.89\.0/);
      expect((await zonectl(two.host, 'remove-zone', 'web')).stdout).toBe('zone web: nothing left to remove');
      // host one keeps its zone and its VXLAN port, and its member keeps its gateway
      expect((await linksOf(one.host)).filter((name) => name.includes('-')).sort()).toEqual(['vx-web', 'vz-web']);
      expect(await pings(a1, '10.89.0.1')).toBe(true);
    },
    180_000,
  );
});
