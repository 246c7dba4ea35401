// Zone isolation as a runtime meets it: the compiled `zone` plugin (netlink backend) run in a
// private "host" namespace with two zones, a and b, a container in each, and an "external"
// namespace on the host's uplink. Members of different zones open no connection to each
// other (TCP and UDP, IPv4 and IPv6, ping), while the host, the outside world and a port
// published by a container of b (reached through the host's uplink address) stay reachable
// from everywhere; members of one zone still reach each other (with br_netfilter on, bridged
// frames pass our forward hook too). `"allowZones": ["b"]` on a opens both ways with the next
// ADD of a member of a, CHECK names the difference until then, and the DEL of a's last member
// takes a's pairs away without touching b's.

import { expect } from 'vitest';
import { nsExec, type Netns } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import {
  type CniResult,
  containerAddress,
  createPortsWorld,
  EXTERNAL,
  expectCniError,
  HOST_UPLINK,
  type PortsWorld,
  type Probe,
  probe,
  portsTools,
  startServer,
} from '../support/ports-world.js';

const priv = privileged([...portsTools, 'busybox']);

const CHECK_FAILED = 122;
const SERVICE = 80;
const PUBLISHED = 8085;

interface Zone {
  name: string;
  v4: string;
  v6: string;
}

const A: Zone = { name: 'a', v4: '10.89.10.0/24', v6: 'fd89:10::/64' };
const B: Zone = { name: 'b', v4: '10.89.11.0/24', v6: 'fd89:11::/64' };

type World = PortsWorld & { cleanup(): Promise<void> };

/** The zone plugin's configuration for a network (and zone) of its own in the world's store. */
function confOf(world: World, zone: Zone, extra: object = {}): Record<string, unknown> {
  const base = world.zoneConf();
  const ipam = { ...(base.ipam as object), ranges: [[{ subnet: zone.v4 }], [{ subnet: zone.v6 }]] };
  return { ...base, name: zone.name, zone: zone.name, ipam, ...extra };
}

async function add(world: World, zone: Zone, ct: Netns, id: string, extra: object = {}): Promise<CniResult> {
  const outcome = await world.zoneRun('ADD', ct, id, confOf(world, zone, extra));
  expect(outcome.exitCode, `ADD ${id}: ${outcome.stdout}${outcome.stderr}`).toBe(0);
  return outcome.json as CniResult;
}

async function del(world: World, zone: Zone, ct: Netns, id: string, extra: object = {}): Promise<void> {
  const outcome = await world.zoneRun('DEL', ct, id, confOf(world, zone, extra));
  expect(outcome.exitCode, `DEL ${id}: ${outcome.stdout}${outcome.stderr}`).toBe(0);
}

const addresses = (result: CniResult) => [containerAddress(result, 4), containerAddress(result, 6)];

/** TCP and UDP to `port` on each host: `proto host` → the answer, `TIMEOUT`, or an error code. */
async function reach(
  from: Netns,
  hosts: readonly string[],
  port = SERVICE,
  protos: readonly ('tcp' | 'udp')[] = ['tcp', 'udp'],
): Promise<Record<string, string>> {
  const probes: Probe[] = hosts.flatMap((host) => protos.map((proto) => ({ proto, host, port })));
  const timeoutMs = 2000;
  const answers = await probe(from, probes, timeoutMs);
  return Object.fromEntries(probes.map((p, i) => [`${p.proto} ${p.host}`, answers[i] as string]));
}

/** Whether one ICMP echo (v4 or v6) from `from` to `address` is answered within a second. */
async function pings(from: Netns, address: string): Promise<boolean> {
  const outcome = await nsExec(from, 'busybox', ['ping', '-c', '1', '-W', '1', address], { reject: false });
  return outcome.exitCode === 0;
}

/** The elements of our allow set, `"vz-a" . "vz-b"` each, sorted. */
async function allowPairs(ns: Netns): Promise<string[]> {
  const { stdout } = await nsExec(ns, 'nft', ['-j', 'list', 'set', 'inet', 'cni_zones', 'zone_allow'], { reject: false });
  if (stdout === '') return [];
  const listing = JSON.parse(stdout) as { nftables: { set?: { elem?: { elem: { val: { concat: string[] } } }[] } }[] };
  const elements = listing.nftables.find((entry) => entry.set)?.set?.elem ?? [];
  return elements.map((e) => e.elem.val.concat.join(' . ')).sort();
}

function expectAll(answers: Record<string, string>, pattern: RegExp): void {
  for (const [target, answer] of Object.entries(answers)) expect(answer, target).toMatch(pattern);
}

priv.describe('zone isolation (netlink backend)', () => {
  priv.it(
    'keeps two zones apart both ways, v4 and v6 and ping, while host, outside, own zone and published ports stay reachable',
    async () => {
      const world = await createPortsWorld();
      const [ca, ca2, cb, web] = [
        await world.container('ca'),
        await world.container('ca2'),
        await world.container('cb'),
        await world.container('web'),
      ];
      const ra = await add(world, A, ca, 'iso-a');
      const ra2 = await add(world, A, ca2, 'iso-a2');
      const rb = await add(world, B, cb, 'iso-b');
      // a container of b publishes its service on the host
      const mappings = ['tcp', 'udp'].map((protocol) => ({ hostPort: PUBLISHED, containerPort: SERVICE, protocol }));
      const rweb = await add(world, B, web, 'iso-web', { capabilities: { portMappings: true }, runtimeConfig: { portMappings: mappings } });
      for (const [ns, name] of [
        [ca, 'ca'],
        [ca2, 'ca2'],
        [cb, 'cb'],
        [web, 'web'],
        [world.host, 'host'],
        [world.external, 'ext'],
      ] as const) {
        await startServer(world.sandbox, ns, name);
      }

      // zone to zone: nothing gets through, either way, either family, not even ping
      expectAll(await reach(ca, addresses(rb)), /^TIMEOUT$/);
      expectAll(await reach(cb, addresses(ra)), /^TIMEOUT$/);
      for (const address of addresses(rb)) expect(await pings(ca, address), `ping ${address}`).toBe(false);
      for (const address of addresses(ra)) expect(await pings(cb, address), `ping ${address}`).toBe(false);

      // inside one zone: straight over the bridge, as before
      expect(await reach(ca, addresses(ra2))).toEqual(
        Object.fromEntries(
          addresses(ra2).flatMap((address) => [
            [`tcp ${address}`, `ca2 ${containerAddress(ra, address.includes(':') ? 6 : 4)}`],
            [`udp ${address}`, `ca2 ${containerAddress(ra, address.includes(':') ? 6 : 4)}`],
          ]),
        ),
      );
      for (const address of addresses(ra2)) expect(await pings(ca, address), `ping ${address}`).toBe(true);

      // the host reaches every zone, and every zone the host (its gateway and its uplink address)
      expectAll(await reach(world.host, [...addresses(ra), ...addresses(rb)]), /^c[ab] /);
      expectAll(await reach(ca, ['10.89.10.1', 'fd89:10::1']), /^host /);
      expectAll(await reach(cb, ['10.89.11.1', 'fd89:11::1']), /^host /);
      // (UDP to another host address is answered from the gateway's: the host's server is not
      // multi-homed, and the probe's connected socket would drop that answer)
      expectAll(await reach(ca, [HOST_UPLINK.v4, HOST_UPLINK.v6], SERVICE, ['tcp']), /^host /);
      expectAll(await reach(cb, [HOST_UPLINK.v4, HOST_UPLINK.v6], SERVICE, ['tcp']), /^host /);
      // ... and at the gateway of the other zone, which is the host's address too
      expectAll(await reach(ca, ['10.89.11.1', 'fd89:11::1'], SERVICE, ['tcp']), /^host /);
      for (const address of addresses(rb)) expect(await pings(world.host, address), `host pings ${address}`).toBe(true);

      // the outside, masqueraded as before
      expect(await reach(ca, [EXTERNAL.v4, EXTERNAL.v6])).toEqual({
        [`tcp ${EXTERNAL.v4}`]: `ext ${HOST_UPLINK.v4}`,
        [`udp ${EXTERNAL.v4}`]: `ext ${HOST_UPLINK.v4}`,
        [`tcp ${EXTERNAL.v6}`]: `ext ${HOST_UPLINK.v6}`,
        [`udp ${EXTERNAL.v6}`]: `ext ${HOST_UPLINK.v6}`,
      });
      expect(await pings(cb, EXTERNAL.v6)).toBe(true);

      // b's published port: from a (through the host's uplink address), from outside, from b
      expectAll(await reach(ca, [HOST_UPLINK.v4, HOST_UPLINK.v6], PUBLISHED), /^web /);
      expectAll(await reach(world.external, [HOST_UPLINK.v4, HOST_UPLINK.v6], PUBLISHED), /^web /);
      expectAll(await reach(cb, [HOST_UPLINK.v4, HOST_UPLINK.v6], PUBLISHED), /^web /);
      // ... but not web's own address, which no DNAT leads to
      expectAll(await reach(ca, addresses(rweb)), /^TIMEOUT$/);

      expect(await allowPairs(world.host)).toEqual(['vz-a . vz-a', 'vz-b . vz-b']);

      // the control: without our rules the zones reach each other; the next ADD of any member puts them back
      await nsExec(world.host, 'nft', ['flush', 'chain', 'inet', 'cni_zones', 'zone_isolation']);
      expectAll(await reach(ca, addresses(rb), SERVICE, ['tcp']), /^cb /);
      await add(world, A, await world.container('ca3'), 'iso-a3');
      expectAll(await reach(ca, addresses(rb), SERVICE, ['tcp']), /^TIMEOUT$/);
      expectAll(await reach(cb, addresses(ra), SERVICE, ['tcp']), /^TIMEOUT$/);
    },
    180_000,
  );

  priv.it(
    'opens both ways with "allowZones" on the next ADD of a member, and closes with the DEL of the last',
    async () => {
      const world = await createPortsWorld();
      const [ca, ca2, cb] = [await world.container('ca'), await world.container('ca2'), await world.container('cb')];
      const ra = await add(world, A, ca, 'allow-a');
      const rb = await add(world, B, cb, 'allow-b');
      for (const [ns, name] of [
        [ca, 'ca'],
        [cb, 'cb'],
      ] as const) {
        await startServer(world.sandbox, ns, name);
      }
      expectAll(await reach(ca, addresses(rb)), /^TIMEOUT$/);
      const pairsOfB = (pairs: string[]) => pairs.filter((pair) => pair.startsWith('vz-b '));
      const bBefore = pairsOfB(await allowPairs(world.host));

      // the configuration of a changes: the next ADD of one of its members applies it
      const allow = { allowZones: ['b'] };
      await add(world, A, ca2, 'allow-a2', allow);
      expect(await allowPairs(world.host)).toEqual(['vz-a . vz-a', 'vz-a . vz-b', 'vz-b . vz-b']);
      expect(pairsOfB(await allowPairs(world.host))).toEqual(bBefore);
      expect(await reach(ca, addresses(rb))).toEqual(
        Object.fromEntries(
          addresses(rb).flatMap((address) => ['tcp', 'udp'].map((proto) => [`${proto} ${address}`, expect.stringMatching(/^cb /)])),
        ),
      );
      expectAll(await reach(cb, addresses(ra)), /^ca /);
      for (const address of addresses(rb)) expect(await pings(ca, address), `ping ${address}`).toBe(true);
      for (const address of addresses(ra)) expect(await pings(cb, address), `ping ${address}`).toBe(true);

      // CHECK of a member with the old configuration names the difference
      const stale = await world.zoneRun('CHECK', ca, 'allow-a', { ...confOf(world, A), prevResult: ra });
      expectCniError(stale, CHECK_FAILED, /isolation of zone a: zone_allow vz-a \. vz-b not in allowZones/);
      const current = await world.zoneRun('CHECK', ca, 'allow-a', { ...confOf(world, A, allow), prevResult: ra });
      expect(current.exitCode, current.stdout).toBe(0);

      // a's members leave: with the last one, a's pairs go, b's stay
      await del(world, A, ca, 'allow-a', allow);
      expect(await allowPairs(world.host)).toEqual(['vz-a . vz-a', 'vz-a . vz-b', 'vz-b . vz-b']);
      await del(world, A, ca2, 'allow-a2', allow);
      expect(await allowPairs(world.host)).toEqual(['vz-b . vz-b']);
      // the fixed chain stays for the other zones
      const chain = await nsExec(world.host, 'nft', ['list', 'chain', 'inet', 'cni_zones', 'zone_isolation']);
      expect(chain.stdout.match(/ drop comment "isolation: /g)).toHaveLength(2);
    },
    180_000,
  );

  priv.it('refuses an allowZones entry that is no zone name (7) before changing anything', async () => {
    const world = await createPortsWorld();
    const ct = await world.container('ct');
    const outcome = await world.zoneRun('ADD', ct, 'bad-allow', confOf(world, A, { allowZones: ['b', 'vz-b" . "x'] }));
    expectCniError(outcome, 7, /allowZones/);
    expect((await nsExec(world.host, 'nft', ['list', 'ruleset'])).stdout).toBe('');
    expect((await nsExec(world.host, 'ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout).toBe('');
  });
});
