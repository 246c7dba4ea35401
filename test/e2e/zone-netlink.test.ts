// The `zone` plugin with `"backend": "netlink"`, run as a runtime runs it (CNI_* environment,
// config on stdin, exit code and JSON on stdout) inside a private "host" namespace, with
// containers in namespaces of their own: traffic over the zone bridge, the result of every
// CNI version, MAC/hairpin/MTU/requested addresses/routes, forwarding and masquerade in the
// host, adopting an existing bridge, and CHECK, DEL, GC and STATUS against the kernel's state.

import { execa } from 'execa';
import { existsSync, rmSync } from 'node:fs';
import { expect } from 'vitest';
import { deleteNetns, ipIn, nsExec } from '../support/netns.js';
import { pluginEnvironment } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import {
  type AddResult,
  addresses,
  allocations,
  bundleZone,
  createZoneWorld,
  expectCniError,
  hostPart,
  hostVeths,
  link,
  nftRuleset,
  peerSeenBy,
  routes,
  startPeerServer,
  sysctl,
  useZoneBundle,
  zoneTools,
} from '../support/zone-world.js';

const priv = privileged([...zoneTools, 'unshare', 'mount']);
const VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
const CHECK_FAILED = 122;

useZoneBundle();

const v4Of = (result: AddResult) => hostPart(result.ips.find((ip) => !ip.address.includes(':'))!.address);
const v6Of = (result: AddResult) => hostPart(result.ips.find((ip) => ip.address.includes(':'))!.address);

priv.describe('zone plugin, netlink backend: traffic', () => {
  priv.it(
    'connects two containers with each other and with the gateway over TCP, IPv4 and IPv6',
    async () => {
      const world = await createZoneWorld();
      const [a, b] = [await world.container('a'), await world.container('b')];
      const ra = await world.add({ container: a, containerId: 'ctr-a' });
      const rb = await world.add({ container: b, containerId: 'ctr-b' });
      expect(ra.ips.map((ip) => ip.address)).toEqual(['10.89.0.2/24', 'fd89::2/64']);
      expect(rb.ips.map((ip) => ip.address)).toEqual(['10.89.0.3/24', 'fd89::3/64']);
      expect((await addresses(world.host, 'vz-web')).sort()).toEqual(['10.89.0.1/24', 'fd89::1/64']);

      await startPeerServer(world.sandbox, b);
      await startPeerServer(world.sandbox, world.host);
      // container to container: straight over the bridge, the source is a's own address
      expect(await peerSeenBy(a, v4Of(rb))).toBe(v4Of(ra));
      expect(await peerSeenBy(a, v6Of(rb))).toBe(v6Of(ra));
      // container to the gateway (the host's address on vz-web)
      expect(await peerSeenBy(a, '10.89.0.1')).toBe(v4Of(ra));
      expect(await peerSeenBy(a, 'fd89::1')).toBe(v6Of(ra));
      expect(await peerSeenBy(b, '10.89.0.1')).toBe(v4Of(rb));
      expect(await peerSeenBy(b, 'fd89::1')).toBe(v6Of(rb));
      // both host ends are ports of the zone bridge, up
      const ports = await hostVeths(world.host);
      expect(ports.map((p) => p.ifname).sort()).toEqual([ra.interfaces[1]!.name, rb.interfaces[1]!.name].sort());
      for (const port of ports) {
        expect(port.master).toBe('vz-web');
        expect(port.flags).toContain('UP');
      }
    },
    120_000,
  );

  priv.it('serves an IPv4-only zone: traffic, forwarding and masquerade for IPv4 only', async () => {
    const world = await createZoneWorld({ ranges: [[{ subnet: '10.89.4.0/24' }]], zone: 'four' });
    const ct = await world.container('ct');
    const result = await world.add({ container: ct, containerId: 'ctr-4' });
    expect(result.ips.map((ip) => ip.address)).toEqual(['10.89.4.2/24']);
    expect(result.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.89.4.1' }]);
    await startPeerServer(world.sandbox, world.host);
    expect(await peerSeenBy(ct, '10.89.4.1')).toBe('10.89.4.2');
    expect(await addresses(world.host, 'vz-four')).toEqual(['10.89.4.1/24']);
    expect(await addresses(ct, 'eth0')).toEqual(['10.89.4.2/24']);

    expect(await sysctl(world.host, 'net.ipv4.ip_forward')).toBe('1');
    expect(await sysctl(world.host, 'net.ipv6.conf.all.forwarding')).toBe('0');
    const ruleset = await nftRuleset(world.host);
    expect(ruleset).toContain('10.89.4.0/24 comment "zone:four"');
    expect(ruleset).toContain('10.89.4.0/24 . "vz-four" comment "zone:four"');
    expect(ruleset).not.toMatch(/elements = \{ [0-9a-f:]+\/\d+ comment/);
  });

  priv.it('serves an IPv6-only zone: traffic, forwarding and masquerade for IPv6 only', async () => {
    const world = await createZoneWorld({ ranges: [[{ subnet: 'fd89:6::/64' }]], zone: 'six' });
    const ct = await world.container('ct');
    const result = await world.add({ container: ct, containerId: 'ctr-6' });
    expect(result.ips.map((ip) => ip.address)).toEqual(['fd89:6::2/64']);
    expect(result.routes).toEqual([{ dst: '::/0', gw: 'fd89:6::1' }]);
    await startPeerServer(world.sandbox, world.host);
    expect(await peerSeenBy(ct, 'fd89:6::1')).toBe('fd89:6::2');
    expect(await addresses(world.host, 'vz-six')).toEqual(['fd89:6::1/64']);
    expect(await addresses(ct, 'eth0')).toEqual(['fd89:6::2/64']);
    // SLAAC and router advertisements stay off in the container
    expect(await sysctl(ct, 'net.ipv6.conf.eth0.accept_ra')).toBe('0');
    expect(await sysctl(ct, 'net.ipv6.conf.eth0.autoconf')).toBe('0');

    expect(await sysctl(world.host, 'net.ipv4.ip_forward')).toBe('0');
    expect(await sysctl(world.host, 'net.ipv6.conf.all.forwarding')).toBe('1');
    const ruleset = await nftRuleset(world.host);
    expect(ruleset).toContain('fd89:6::/64 comment "zone:six"');
    expect(ruleset).toContain('fd89:6::/64 . "vz-six" comment "zone:six"');
    expect(ruleset).not.toMatch(/elements = \{ [0-9.]+\/\d+ comment/);
  });

  priv.it('adds no masquerade with "ipMasq": false', async () => {
    const world = await createZoneWorld({ plugin: { ipMasq: false } });
    await world.add({ container: await world.container('ct'), containerId: 'ctr-nomasq' });
    // our table holds the zone's isolation, nothing of masquerade
    expect(await nftRuleset(world.host)).not.toMatch(/masquerade|zone_masq|zone_local/);
    expect(await sysctl(world.host, 'net.ipv4.ip_forward')).toBe('1');
  });
});

priv.describe('zone plugin, netlink backend: results', () => {
  priv.it(
    'returns a spec-shaped result for every CNI version',
    async () => {
      const world = await createZoneWorld();
      for (const [i, version] of VERSIONS.entries()) {
        const ct = await world.container(`v${i}`);
        const conf = world.conf({}, {}, version);
        const result = await world.add({ container: ct, containerId: `ctr-v${i}`, conf });
        const containerMac = (await link(ct, 'eth0'))!.address;
        const hostEnd = result.interfaces[1]!.name;

        expect(result.cniVersion).toBe(version);
        expect(result.interfaces).toHaveLength(3);
        expect(result.interfaces[0]).toEqual({ name: 'vz-web', mac: (await link(world.host, 'vz-web'))!.address });
        expect(hostEnd).toMatch(/^vz[0-9a-f]{13}$/);
        expect(result.interfaces[1]).toEqual({ name: hostEnd, mac: (await link(world.host, hostEnd))!.address });
        expect(result.interfaces[2]).toEqual({
          name: 'eth0',
          mac: containerMac,
          sandbox: ct.path,
          ...(version === '1.1.0' && { mtu: 1500 }),
        });
        const legacy = version.startsWith('0.');
        expect(result.ips).toEqual([
          { ...(legacy && { version: '4' }), interface: 2, address: `10.89.0.${i + 2}/24`, gateway: '10.89.0.1' },
          { ...(legacy && { version: '6' }), interface: 2, address: `fd89::${i + 2}/64`, gateway: 'fd89::1' },
        ]);
        expect(result.routes).toEqual([
          { dst: '0.0.0.0/0', gw: '10.89.0.1' },
          { dst: '::/0', gw: 'fd89::1' },
        ]);
        await world.del({ container: ct, containerId: `ctr-v${i}`, conf: { ...conf, prevResult: result } });
        expect(await link(world.host, hostEnd)).toBeUndefined();
      }
      expect(allocations(world.store)).toEqual([]);
    },
    120_000,
  );

  priv.it('takes the MAC from runtimeConfig.mac over args.cni.mac over CNI_ARGS MAC=', async () => {
    const world = await createZoneWorld();
    const macs = { runtime: '02:00:5e:10:00:01', args: '02:00:5e:10:00:02', env: '02:00:5e:10:00:03' };
    const cases = [
      {
        id: 'ctr-runtime',
        conf: world.conf({ runtimeConfig: { mac: macs.runtime }, args: { cni: { mac: macs.args } } }),
        want: macs.runtime,
      },
      { id: 'ctr-args', conf: world.conf({ args: { cni: { mac: macs.args } } }), want: macs.args },
      { id: 'ctr-env', conf: world.conf(), want: macs.env },
    ];
    for (const { id, conf, want } of cases) {
      const ct = await world.container(id);
      const result = await world.add({ container: ct, containerId: id, conf, args: `IgnoreUnknown=1;MAC=${macs.env.toUpperCase()}` });
      expect(result.interfaces[2]!.mac, id).toBe(want);
      expect((await link(ct, 'eth0'))!.address, id).toBe(want);
    }
  });

  priv.it('puts the host port in hairpin mode only when asked, and applies the MTU to bridge and both veth ends', async () => {
    const world = await createZoneWorld({ plugin: { hairpin: true, mtu: 1400 } });
    const [on, off] = [await world.container('on'), await world.container('off')];
    const hairpinned = await world.add({ container: on, containerId: 'ctr-hairpin' });
    const plain = await world.add({ container: off, containerId: 'ctr-plain', conf: world.conf({ hairpin: false }) });

    const { stdout } = await nsExec(world.host, 'bridge', ['-j', '-d', 'link', 'show']);
    const ports = JSON.parse(stdout) as { ifname: string; hairpin?: boolean }[];
    expect(ports.find((p) => p.ifname === hairpinned.interfaces[1]!.name)?.hairpin).toBe(true);
    expect(ports.find((p) => p.ifname === plain.interfaces[1]!.name)?.hairpin).toBe(false);

    expect((await link(world.host, 'vz-web'))!.mtu).toBe(1400);
    expect((await link(world.host, hairpinned.interfaces[1]!.name))!.mtu).toBe(1400);
    expect((await link(on, 'eth0'))!.mtu).toBe(1400);
    expect(hairpinned.interfaces[2]!.mtu).toBe(1400);
  });

  priv.it('gives the addresses asked for with CNI_ARGS IP= and runtimeConfig.ips', async () => {
    const world = await createZoneWorld();
    const [one, two] = [await world.container('one'), await world.container('two')];
    const byEnv = await world.add({ container: one, containerId: 'ctr-ip-env', args: 'IP=10.89.0.50' });
    expect(byEnv.ips.map((ip) => ip.address)).toEqual(['10.89.0.50/24', 'fd89::2/64']);
    const byRuntime = await world.add({
      container: two,
      containerId: 'ctr-ip-rt',
      conf: world.conf({ runtimeConfig: { ips: ['10.89.0.60/24', 'fd89::60/64'] } }),
    });
    expect(byRuntime.ips.map((ip) => ip.address)).toEqual(['10.89.0.60/24', 'fd89::60/64']);
    expect((await addresses(one, 'eth0')).sort()).toEqual(['10.89.0.50/24', 'fd89::2/64']);
    expect((await addresses(two, 'eth0')).sort()).toEqual(['10.89.0.60/24', 'fd89::60/64']);
    expect(allocations(world.store).sort()).toEqual(['10.89.0.50', '10.89.0.60', 'fd89::2', 'fd89::60']);
  });

  priv.it('installs IPAM routes, filling in the gateway of their family where IPAM gives none', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('ct');
    const ipamRoutes = [{ dst: '192.0.2.0/24' }, { dst: '198.51.100.0/24', gw: '10.89.0.254' }, { dst: '2001:db8::/64' }];
    const result = await world.add({ container: ct, containerId: 'ctr-routes', conf: world.conf({}, { routes: ipamRoutes }) });
    expect(result.routes).toEqual([
      { dst: '192.0.2.0/24', gw: '10.89.0.1' },
      { dst: '198.51.100.0/24', gw: '10.89.0.254' },
      { dst: '2001:db8::/64', gw: 'fd89::1' },
    ]);
    const v4 = (await routes(ct, 4)).map((r) => `${r.dst} ${r.gateway ?? '-'}`);
    expect(v4).toEqual(expect.arrayContaining(['192.0.2.0/24 10.89.0.1', '198.51.100.0/24 10.89.0.254']));
    expect(v4.some((r) => r.startsWith('default'))).toBe(false);
    const v6 = (await routes(ct, 6)).map((r) => `${r.dst} ${r.gateway ?? '-'}`);
    expect(v6).toContain('2001:db8::/64 fd89::1');
    expect(v6.some((r) => r.startsWith('default'))).toBe(false);
  });
});

priv.describe('zone plugin, netlink backend: more than one interface', () => {
  priv.it('puts one container into two zones: eth0 keeps the default routes, eth1 reaches its own zone', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('two');
    const web = await world.add({ container: ct, containerId: 'ctr-two', ifname: 'eth0' });
    const dbConf = { ...world.conf({ zone: 'db' }, { ranges: [[{ subnet: '10.90.0.0/24' }], [{ subnet: 'fd90::/64' }]] }), name: 'db' };
    const db = await world.add({ container: ct, containerId: 'ctr-two', ifname: 'eth1', conf: dbConf });
    expect(db.interfaces.map((i) => i.name)).toEqual(['vz-db', expect.stringMatching(/^vz[0-9a-f]{13}$/), 'eth1']);
    expect(db.interfaces[1]!.name).not.toBe(web.interfaces[1]!.name);
    expect((await addresses(ct, 'eth1')).sort()).toEqual(['10.90.0.2/24', 'fd90::2/64']);
    const defaults = [...(await routes(ct, 4)), ...(await routes(ct, 6))].filter((r) => r.dst === 'default');
    expect(defaults.map((r) => `${r.gateway} ${r.dev}`).sort()).toEqual(['10.89.0.1 eth0', 'fd89::1 eth0']);
    // each result tells what its interface got, so CHECK holds for both
    expect(db.routes).toEqual([]);
    for (const [ifname, conf, prevResult] of [
      ['eth0', world.conf(), web],
      ['eth1', dbConf, db],
    ] as const) {
      const check = await world.run('CHECK', { container: ct, containerId: 'ctr-two', ifname, conf: { ...conf, prevResult } });
      expect(check.exitCode, `CHECK ${ifname}: ${check.stdout}`).toBe(0);
    }

    await startPeerServer(world.sandbox, world.host);
    expect(await peerSeenBy(ct, '10.90.0.1')).toBe('10.90.0.2');
    expect(await peerSeenBy(ct, 'fd90::1')).toBe('fd90::2');
    expect(await peerSeenBy(ct, '10.89.0.1')).toBe('10.89.0.2');

    await world.del({ container: ct, containerId: 'ctr-two', ifname: 'eth1', conf: dbConf });
    expect(await link(ct, 'eth1')).toBeUndefined();
    expect(await link(ct, 'eth0')).toBeDefined();
    expect(await peerSeenBy(ct, 'fd89::1')).toBe('fd89::2');
  });

  priv.it("passes the configuration's dns through to the result, after the zone's name server", async () => {
    const world = await createZoneWorld();
    const dns = { nameservers: ['192.0.2.53'], domain: 'web.zone', search: ['web.zone'], options: ['ndots:1'] };
    const plain = await world.add({
      container: await world.container('dns'),
      containerId: 'ctr-dns',
      conf: world.conf({ dns, nameServer: false }),
    });
    expect(plain.dns).toEqual(dns);
    const served = await world.add({ container: await world.container('dns2'), containerId: 'ctr-dns2', conf: world.conf({ dns }) });
    expect(served.dns).toEqual({ ...dns, nameservers: ['10.89.0.1', 'fd89::1', '192.0.2.53'], search: ['web.internal', 'web.zone'] });
  });
});

priv.describe('zone plugin, netlink backend: the zone bridge', () => {
  priv.it('adopts an existing vz-<zone> bridge instead of recreating it, and DEL leaves it', async () => {
    const world = await createZoneWorld();
    await ipIn(world.host, 'link', 'add', 'vz-web', 'type', 'bridge');
    const before = (await link(world.host, 'vz-web'))!;
    expect(before.flags).not.toContain('UP');

    const ct = await world.container('ct');
    const result = await world.add({ container: ct, containerId: 'ctr-adopt' });
    const after = (await link(world.host, 'vz-web'))!;
    expect(after.ifindex).toBe(before.ifindex);
    expect(after.flags).toContain('UP');
    expect((await addresses(world.host, 'vz-web')).sort()).toEqual(['10.89.0.1/24', 'fd89::1/64']);
    expect((await link(world.host, result.interfaces[1]!.name))!.master).toBe('vz-web');

    await world.del({ container: ct, containerId: 'ctr-adopt' });
    expect((await link(world.host, 'vz-web'))?.ifindex).toBe(before.ifindex);
  });

  priv.it('keeps one set of gateway addresses and one MAC on the bridge while containers come and go', async () => {
    const world = await createZoneWorld();
    const macs: string[] = [];
    for (const id of ['x', 'y', 'z']) {
      const result = await world.add({ container: await world.container(id), containerId: `ctr-${id}` });
      macs.push(result.interfaces[0]!.mac!, (await link(world.host, 'vz-web'))!.address!);
    }
    await world.del({ containerId: 'ctr-x' });
    macs.push((await link(world.host, 'vz-web'))!.address!);
    // a bridge that followed its ports' MACs would make the containers' neighbour entries stale
    expect(new Set(macs).size).toBe(1);
    expect(macs[0]).toMatch(/^[0-9a-f][26ae]:/);
    expect((await addresses(world.host, 'vz-web')).sort()).toEqual(['10.89.0.1/24', 'fd89::1/64']);
    const ruleset = await nftRuleset(world.host);
    expect(ruleset.match(/10\.89\.0\.0\/24 comment "zone:web"/g)).toHaveLength(1);
    expect(ruleset.match(/saddr @zone_masq_v4 masquerade/g)).toHaveLength(1);
  });
});

priv.describe('zone plugin, netlink backend: CHECK', () => {
  async function attached(id: string) {
    const world = await createZoneWorld();
    const ct = await world.container(id);
    const result = await world.add({ container: ct, containerId: id });
    const check = () => world.run('CHECK', { container: ct, containerId: id, conf: { ...world.conf(), prevResult: result } });
    const ok = await check();
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.stdout.trim()).toBe('');
    return { world, ct, result, check };
  }

  priv.it('fails once an address is removed from the container interface', async () => {
    const { ct, check } = await attached('ctr-noaddr');
    await ipIn(ct, 'address', 'del', 'fd89::2/64', 'dev', 'eth0');
    expectCniError(await check(), CHECK_FAILED, /eth0 lacks address fd89::2\/64/);
  });

  priv.it('fails once a route is removed', async () => {
    const { ct, check } = await attached('ctr-noroute');
    await ipIn(ct, '-4', 'route', 'del', 'default');
    expectCniError(await check(), CHECK_FAILED, /route to 0\.0\.0\.0\/0 is missing/);
  });

  priv.it('fails once the host veth is detached from the bridge', async () => {
    const { world, result, check } = await attached('ctr-nomaster');
    await ipIn(world.host, 'link', 'set', result.interfaces[1]!.name, 'nomaster');
    expectCniError(await check(), CHECK_FAILED, /not attached to vz-web/);
  });

  priv.it('fails once the veth is deleted', async () => {
    const { world, result, check } = await attached('ctr-noveth');
    await ipIn(world.host, 'link', 'del', result.interfaces[1]!.name);
    expectCniError(await check(), CHECK_FAILED, /host veth vz[0-9a-f]{13} is missing/);
  });
});

priv.describe('zone plugin, netlink backend: DEL', () => {
  priv.it('removes the veth and the allocation, keeps the bridge, and succeeds again', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('ct');
    const result = await world.add({ container: ct, containerId: 'ctr-del' });
    const bridge = (await link(world.host, 'vz-web'))!;
    expect(allocations(world.store).sort()).toEqual(['10.89.0.2', 'fd89::2']);

    const call = { container: ct, containerId: 'ctr-del', conf: { ...world.conf(), prevResult: result } };
    await world.del(call);
    expect(await hostVeths(world.host)).toEqual([]);
    expect(await link(ct, 'eth0')).toBeUndefined();
    expect(allocations(world.store)).toEqual([]);
    expect((await link(world.host, 'vz-web'))?.ifindex).toBe(bridge.ifindex);

    await world.del(call);
    await world.del({ ...call, conf: world.conf() });
  });

  priv.it('works without a prevResult', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('ct');
    await world.add({ container: ct, containerId: 'ctr-noprev' });
    await world.del({ container: ct, containerId: 'ctr-noprev' });
    expect(await hostVeths(world.host)).toEqual([]);
    expect(await link(ct, 'eth0')).toBeUndefined();
    expect(allocations(world.store)).toEqual([]);
  });

  priv.it('releases the allocation when the namespace is already gone', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('gone');
    const result = await world.add({ container: ct, containerId: 'ctr-gone' });
    await deleteNetns(ct.name);
    expect(existsSync(ct.path)).toBe(false);
    const outcome = await world.run('DEL', { container: ct, containerId: 'ctr-gone', conf: { ...world.conf(), prevResult: result } });
    expect(outcome.exitCode, outcome.stdout).toBe(0);
    expect(await hostVeths(world.host)).toEqual([]);
    expect(allocations(world.store)).toEqual([]);
  });

  priv.it('removes the veth when the allocation store is gone', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('ct');
    await world.add({ container: ct, containerId: 'ctr-nostore' });
    rmSync(world.store, { recursive: true });
    await world.del({ container: ct, containerId: 'ctr-nostore' });
    expect(await hostVeths(world.host)).toEqual([]);
    expect(await link(ct, 'eth0')).toBeUndefined();
    expect(existsSync(world.store)).toBe(false);
  });

  priv.it('leaves the other attachments of the zone alone', async () => {
    const world = await createZoneWorld();
    const [a, b] = [await world.container('a'), await world.container('b')];
    await world.add({ container: a, containerId: 'ctr-a' });
    const kept = await world.add({ container: b, containerId: 'ctr-b' });
    await world.del({ container: a, containerId: 'ctr-a' });
    expect((await hostVeths(world.host)).map((l) => l.ifname)).toEqual([kept.interfaces[1]!.name]);
    expect(allocations(world.store).sort()).toEqual(['10.89.0.3', 'fd89::3']);
    await startPeerServer(world.sandbox, world.host);
    expect(await peerSeenBy(b, '10.89.0.1')).toBe('10.89.0.3');
  });
});

priv.describe('zone plugin, netlink backend: GC and STATUS', () => {
  priv.it('GC removes host veths and allocations of attachments not listed, and keeps the listed ones', async () => {
    const world = await createZoneWorld();
    const ids = ['ctr-keep1', 'ctr-drop', 'ctr-keep2'];
    const results = new Map<string, AddResult>();
    const containers = new Map<string, Awaited<ReturnType<typeof world.container>>>();
    for (const id of ids) {
      const ct = await world.container(id);
      containers.set(id, ct);
      results.set(id, await world.add({ container: ct, containerId: id }));
    }
    const valid = [
      { containerID: 'ctr-keep1', ifname: 'eth0' },
      { containerID: 'ctr-keep2', ifname: 'eth0' },
    ];
    const outcome = await world.run('GC', { conf: { ...world.conf(), 'cni.dev/valid-attachments': valid } });
    expect(outcome.exitCode, outcome.stdout).toBe(0);

    const left = (await hostVeths(world.host)).map((l) => l.ifname).sort();
    expect(left).toEqual([results.get('ctr-keep1')!, results.get('ctr-keep2')!].map((r) => r.interfaces[1]!.name).sort());
    expect(await link(containers.get('ctr-drop')!, 'eth0')).toBeUndefined();
    expect(await link(containers.get('ctr-keep1')!, 'eth0')).toBeDefined();
    expect(allocations(world.store).sort()).toEqual(['10.89.0.2', '10.89.0.4', 'fd89::2', 'fd89::4']);
  });

  priv.it('GC without a list of valid attachments removes nothing', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('ct');
    const result = await world.add({ container: ct, containerId: 'ctr-nolist' });
    const outcome = await world.run('GC', { conf: world.conf() });
    expect(outcome.exitCode, outcome.stdout).toBe(0);
    expect((await hostVeths(world.host)).map((l) => l.ifname)).toEqual([result.interfaces[1]!.name]);
    expect(allocations(world.store).sort()).toEqual(['10.89.0.2', 'fd89::2']);
  });

  priv.it('GC leaves the attachments of another network alone', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('other');
    // same zone, another network name: GC of "web" must not touch it
    const other = await world.add({ container: ct, containerId: 'ctr-other', conf: { ...world.conf({ zone: 'web' }), name: 'other' } });
    const outcome = await world.run('GC', { conf: { ...world.conf(), 'cni.dev/valid-attachments': [] } });
    expect(outcome.exitCode, outcome.stdout).toBe(0);
    expect((await hostVeths(world.host)).map((l) => l.ifname)).toEqual([other.interfaces[1]!.name]);
    expect(allocations(`${world.dataDir}/other`).sort()).toEqual(['10.89.0.2', 'fd89::2']);
  });

  priv.it('STATUS answers 0 for the netlink backend', async () => {
    const world = await createZoneWorld();
    const outcome = await world.run('STATUS', {});
    expect(outcome.exitCode, outcome.stdout).toBe(0);
    expect(outcome.stdout.trim()).toBe('');
  });

  priv.it('STATUS answers 50 for the networkd backend where networkd does not run', async () => {
    const world = await createZoneWorld();
    const executable = await bundleZone();
    // A private /run/systemd: whatever the machine runs, this plugin sees no networkd.
    const script = 'mount -t tmpfs tmpfs /run/systemd && exec nsenter --net="$0" "$1"';
    const outcome = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, world.host.path, executable], {
      input: JSON.stringify(world.conf({ backend: 'networkd' })),
      env: pluginEnvironment({ command: 'STATUS', path: '/usr/lib/cni' }),
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
    expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(1);
    const error = JSON.parse(outcome.stdout) as { code: number; msg: string };
    expect(error.code).toBe(50);
    expect(error.msg).toMatch(/networkd/);
  });
});
