// The `zone` plugin (compiled, netlink backend) under the load a busy node produces: 64 ADDs at
// once across two zones (32 each, separate dual-stack subnets), then 64 DELs at once, and the
// whole round again on the same container namespaces. Every ADD either succeeds or fails with a
// well-formed CNI error 11 (try again later) and leaves nothing; no address is handed out
// twice in a zone; each success has exactly one host veth, on its own zone's bridge, and an
// eth0 holding exactly its result's addresses; each bridge holds only its gateways and each
// zone's masquerade elements exist once. After the DELs nothing of any attachment is left: no
// host veth, no container eth0, only the bookkeeping files in the IPAM stores, and in our nft
// table only the zones' own masquerade elements (the zone, like its bridge, stays).

import { join } from 'node:path';
import { expect } from 'vitest';
import { attachmentAlias, hostVethName } from '../../lib/names/attachment.js';
import type { Netns } from '../support/netns.js';
import type { PluginOutcome } from '../support/plugin-process.js';
import { tableElements } from '../support/ports-census.js';
import { privileged } from '../support/privileges.js';
import {
  type AddResult,
  addresses,
  allocations,
  type CniErrorOutput,
  createZoneWorld,
  hostPart,
  hostVeths,
  link,
  nftRuleset,
  storeFiles,
  useZoneBundle,
  type ZoneWorld,
  zoneTools,
} from '../support/zone-world.js';

const priv = privileged(zoneTools);

const PER_ZONE = 32;
const ROUNDS = 3;
const ZONES = [
  { zone: 'alpha', v4: '10.89.1', v6: 'fd89:1:' },
  { zone: 'beta', v4: '10.89.2', v6: 'fd89:2:' },
] as const;
type Zone = (typeof ZONES)[number];

interface Slot {
  zone: Zone;
  ct: Netns;
  index: number;
}

useZoneBundle();

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Each zone its own network (hence its own IPAM store) and its own dual-stack subnets. */
function zoneConf(world: ZoneWorld, zone: Zone): Record<string, unknown> {
  return {
    ...world.conf({ zone: zone.zone }, { ranges: [[{ subnet: `${zone.v4}.0/24` }], [{ subnet: `${zone.v6}:/64` }]] }),
    name: zone.zone,
  };
}

const storeOf = (world: ZoneWorld, zone: Zone) => join(world.dataDir, zone.zone);
const bridgeOf = (zone: Zone) => `vz-${zone.zone}`;
const idOf = (slot: Slot, round: number) => `par-${slot.zone.zone}-${round}-${slot.index}`;

/** Map with a bounded number of promises in flight: reading 64 namespaces at once only queues on 2 cores. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(range(Math.min(limit, items.length)).map(worker));
  return out;
}

/** A failed ADD under load may only say "try again later": exit 1, one JSON error, code 11. */
function expectRetryLater(outcome: PluginOutcome, what: string): void {
  expect(outcome.exitCode, `${what}: ${outcome.stdout}${outcome.stderr}`).toBe(1);
  const error = outcome.json as CniErrorOutput | undefined;
  expect(error?.code, `${what}: ${outcome.stdout}`).toBe(11);
  expect(error?.msg, `${what}: ${outcome.stdout}`).toBeTruthy();
  expect(error?.cniVersion, `${what}: ${outcome.stdout}`).toBe('1.1.0');
}

const isV6 = (cidr: string) => cidr.includes(':');

priv.describe('zone plugin, netlink backend: 64 parallel ADDs and DELs across two zones', () => {
  priv.it(
    `runs ${2 * PER_ZONE} ADDs, then ${2 * PER_ZONE} DELs, at once, ${ROUNDS} times: no duplicate address, one veth per success, empty at the end`,
    async () => {
      const world = await createZoneWorld();
      // Made once, reused by every round: creating 64 namespaces is most of a round's cost.
      const slots: Slot[] = [];
      for (const zone of ZONES)
        for (const index of range(PER_ZONE)) slots.push({ zone, ct: await world.container(`${zone.zone[0]}${index}`), index });
      const timings: string[] = [];

      for (const round of range(ROUNDS)) {
        const started = performance.now();
        const adds = await Promise.all(
          slots.map((slot) => world.run('ADD', { container: slot.ct, containerId: idOf(slot, round), conf: zoneConf(world, slot.zone) })),
        );
        const addMs = Math.round(performance.now() - started);

        const succeeded = new Map<Slot, AddResult>();
        for (const [i, slot] of slots.entries()) {
          const outcome = adds[i]!;
          const what = `round ${round} ADD ${idOf(slot, round)}`;
          if (outcome.exitCode === 0) succeeded.set(slot, outcome.json as AddResult);
          else expectRetryLater(outcome, what);
        }
        const failures = slots.length - succeeded.size;
        expect(succeeded.size, `round ${round}: ${failures} of ${slots.length} ADDs failed`).toBeGreaterThan(0);

        // Addresses: in the zone's subnets, one of each family, unique per zone, exactly what the store holds.
        for (const zone of ZONES) {
          const results = [...succeeded].filter(([slot]) => slot.zone === zone).map(([, result]) => result);
          const v4 = results.map((r) => r.ips.filter((ip) => !isV6(ip.address)).map((ip) => ip.address));
          const v6 = results.map((r) => r.ips.filter((ip) => isV6(ip.address)).map((ip) => ip.address));
          expect(
            v4.every((list) => list.length === 1) && v6.every((list) => list.length === 1),
            `round ${round} ${zone.zone}: one address per family`,
          ).toBe(true);
          const flat4 = v4.flat();
          const flat6 = v6.flat();
          expect(new Set(flat4).size, `round ${round} ${zone.zone} v4: ${flat4.join(' ')}`).toBe(results.length);
          expect(new Set(flat6).size, `round ${round} ${zone.zone} v6: ${flat6.join(' ')}`).toBe(results.length);
          expect(
            flat4.every((a) => a.startsWith(`${zone.v4}.`) && a.endsWith('/24')),
            `round ${round} ${zone.zone}: ${flat4.join(' ')}`,
          ).toBe(true);
          expect(
            flat6.every((a) => a.startsWith(`${zone.v6}:`) && a.endsWith('/64')),
            `round ${round} ${zone.zone}: ${flat6.join(' ')}`,
          ).toBe(true);
          expect(allocations(storeOf(world, zone)).sort(), `round ${round} ${zone.zone} store`).toEqual(
            [...flat4, ...flat6].map(hostPart).sort(),
          );
          expect((await addresses(world.host, bridgeOf(zone))).sort(), `round ${round} ${bridgeOf(zone)}`).toEqual([
            `${zone.v4}.1/24`,
            `${zone.v6}:1/64`,
          ]);
        }

        // Exactly one host veth per success, named for its attachment, tagged with it, on its zone's bridge.
        const veths = await hostVeths(world.host);
        const expected = [...succeeded.keys()].map((slot) => hostVethName(idOf(slot, round), 'eth0')).sort();
        expect(veths.map((v) => v.ifname).sort(), `round ${round}: host veths`).toEqual(expected);
        for (const [slot, result] of succeeded) {
          const name = hostVethName(idOf(slot, round), 'eth0');
          const veth = veths.find((v) => v.ifname === name)!;
          expect(veth.master, `round ${round} ${idOf(slot, round)}`).toBe(bridgeOf(slot.zone));
          expect(veth.ifalias, `round ${round} ${idOf(slot, round)}`).toBe(attachmentAlias(slot.zone.zone, idOf(slot, round), 'eth0'));
          expect(result.interfaces.map((i) => i.name).slice(0, 2), `round ${round} ${idOf(slot, round)}`).toEqual([
            bridgeOf(slot.zone),
            name,
          ]);
        }
        // Each success's eth0 holds exactly its own addresses; a failed ADD left no eth0.
        const inside = await mapLimited(slots, 8, async (slot) =>
          (await link(slot.ct, 'eth0')) ? (await addresses(slot.ct, 'eth0')).sort() : undefined,
        );
        for (const [i, slot] of slots.entries()) {
          const result = succeeded.get(slot);
          expect(inside[i], `round ${round} ${idOf(slot, round)}: eth0`).toEqual(
            result ? result.ips.map((ip) => ip.address).sort() : undefined,
          );
        }

        // Masquerade: each zone's elements once in each of the four sets; the shared chain's four rules once.
        // Isolation: a zone with members has its one pair (itself) in zone_allow.
        const elements = await tableElements(world.host);
        for (const zone of ZONES) {
          const sets = elements
            .filter((e) => e.comment === `zone:${zone.zone}`)
            .map((e) => e.set)
            .sort();
          const members = [...succeeded.keys()].some((slot) => slot.zone === zone);
          expect(sets, `round ${round} ${zone.zone}: masquerade and isolation elements`).toEqual([
            ...(members ? ['zone_allow'] : []),
            'zone_local_v4',
            'zone_local_v6',
            'zone_masq_v4',
            'zone_masq_v6',
          ]);
        }
        expect(
          elements.filter((e) => !ZONES.some((zone) => e.comment === `zone:${zone.zone}`)),
          `round ${round}: elements of no zone`,
        ).toEqual([]);
        expect((await nftRuleset(world.host)).match(/masquerade$|return$/gm), `round ${round}: masquerade chain`).toHaveLength(4);

        // 64 DELs at once, the failed ADDs' included (a runtime sends DEL after a failed ADD too).
        const delStarted = performance.now();
        const dels = await Promise.all(
          slots.map((slot) => world.run('DEL', { container: slot.ct, containerId: idOf(slot, round), conf: zoneConf(world, slot.zone) })),
        );
        const delMs = Math.round(performance.now() - delStarted);
        for (const [i, slot] of slots.entries()) {
          expect(dels[i]!.exitCode, `round ${round} DEL ${idOf(slot, round)}: ${dels[i]!.stdout}${dels[i]!.stderr}`).toBe(0);
        }

        expect(await hostVeths(world.host), `round ${round}: host veths after DEL`).toEqual([]);
        const eth0s = await mapLimited(slots, 8, (slot) => link(slot.ct, 'eth0'));
        expect(eth0s.filter(Boolean).length, `round ${round}: container eth0s after DEL`).toBe(0);
        for (const zone of ZONES) {
          expect(storeFiles(storeOf(world, zone)), `round ${round} ${zone.zone}: store after DEL`).toEqual([
            'last_reserved_ip.0',
            'last_reserved_ip.1',
            'lock',
          ]);
          // The zone stays: its bridge with its gateways, nothing on it.
          expect((await addresses(world.host, bridgeOf(zone))).sort(), `round ${round} ${bridgeOf(zone)} after DEL`).toEqual([
            `${zone.v4}.1/24`,
            `${zone.v6}:1/64`,
          ]);
        }
        // Only the zones' own elements are left in our table: none names an attachment.
        const left = await tableElements(world.host);
        expect(left.map((e) => `${e.set} ${e.comment}`).sort(), `round ${round}: nft elements after DEL`).toEqual(
          ZONES.flatMap((zone) =>
            ['zone_local_v4', 'zone_local_v6', 'zone_masq_v4', 'zone_masq_v6'].map((set) => `${set} zone:${zone.zone}`),
          ).sort(),
        );
        const ruleset = await nftRuleset(world.host);
        for (const slot of slots)
          expect(ruleset.includes(idOf(slot, round)), `round ${round}: ruleset names ${idOf(slot, round)}`).toBe(false);

        timings.push(
          `round ${round}: ${succeeded.size}/${slots.length} ADDs ok, ADDs ${addMs} ms, DELs ${delMs} ms, round ${Math.round(performance.now() - started)} ms`,
        );
      }
      // Each call stays within the per-call budget (55 s), so a round of 64 ADDs and 64 DELs stays well under two of them.
      const rounds = timings.map((t) => Number(/round (\d+) ms$/.exec(t)![1]));
      expect(Math.max(...rounds), timings.join('; ')).toBeLessThan(110_000);
    },
    400_000,
  );
});
