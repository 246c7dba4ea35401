// A zone's rules in our nft table: its isolation from other zones (every backend) and, for the
// netlink backend with ipMasq, its masquerade, written together in one transaction under the
// zone lock. A transaction that touches a chain costs the kernel's commit several milliseconds
// (set elements next to nothing), and masquerade rewrites its chain on every ADD: with it, the
// isolation chain is declared in the same commit at no extra cost, and only the set is listed
// first (for the zone's own pairs). Without it, the chain is listed too (each listing well under
// a millisecond), so an ADD that finds isolation in place changes only its zone's pairs, and
// runs no transaction at all when they are as its configuration says.
//
// The zone's pairs go when its last member does: DEL (and the undo of an ADD that made the
// bridge) takes them away once the bridge has no port left, neither a container's veth nor a
// machine's. The chain and set stay for the other zones.
import { isRtnlError } from '../rtnl/errors.js';
import { bridgeName } from '../networkd/zone-files.js';
import {
  ALLOW_SET,
  addZoneIsolation,
  ISOLATION_CHAIN,
  type IsolationState,
  isolationDrift,
  ownAllowElements,
  removeZoneIsolation,
  restoreZoneIsolation,
  type ZoneIsolation,
} from '../nft/isolation.js';
import { isNftError } from '../nft/errors.js';
import { addZoneMasquerade } from '../nft/masquerade.js';
import type { NftTable } from '../nft/table.js';
import type { ZoneConfig } from './plan.js';
import { isZoneVxlanPort } from './vxlan.js';
import type { Links, ZoneWorld } from './world.js';

/** What `config` asks of isolation. */
export function isolationSpec(config: Pick<ZoneConfig, 'zone' | 'bridge' | 'allowZones'>): ZoneIsolation {
  return { zone: config.zone, bridge: config.bridge, peers: config.allowZones.map(bridgeName) };
}

/** The isolation set, and the chain unless it is declared again anyway, as our table holds them now. */
async function readIsolation(table: NftTable, chain = true): Promise<IsolationState> {
  return { chain: chain ? await table.listChain(ISOLATION_CHAIN) : undefined, set: await table.listSet(ALLOW_SET) };
}

/**
 * Declare isolation and the zone's pairs, and with `masquerade` (the zone's subnets) its
 * masquerade, in one transaction. Resolves to the undo: the zone's pairs as they were before.
 */
export async function ensureZoneRules(world: ZoneWorld, config: ZoneConfig, masquerade?: readonly string[]): Promise<() => Promise<void>> {
  const table = world.nft();
  const before = await world.withZoneLock(async () => {
    const state = await readIsolation(table, masquerade === undefined);
    const tx = addZoneIsolation(table.transaction(), isolationSpec(config), state);
    if (masquerade !== undefined) addZoneMasquerade(tx, { zone: config.zone, bridge: config.bridge, subnets: masquerade });
    await table.apply(tx);
    return ownAllowElements(state.set?.elements ?? [], config.bridge);
  });
  return () =>
    world.withZoneLock(async () => {
      const now = await table.listSet(ALLOW_SET);
      await table.apply(restoreZoneIsolation(table.transaction(), config.bridge, now?.elements ?? [], before));
    });
}

/** What our table lacks or holds too much of for `config`'s isolation; empty when in place. */
export async function zoneIsolationDrift(world: ZoneWorld, config: ZoneConfig): Promise<string[]> {
  return isolationDrift(isolationSpec(config), await readIsolation(world.nft()));
}

/** Caller holds the zone lock. Delete the zone's pairs. */
async function removeIsolationPairs(table: NftTable, bridge: string): Promise<void> {
  const set = await table.listSet(ALLOW_SET);
  await table.apply(removeZoneIsolation(table.transaction(), bridge, set?.elements ?? []));
}

/** Whether `bridge` is gone or has no port left: the zone has no member. */
export async function zoneIsEmpty(rt: Links, bridge: string): Promise<boolean> {
  const link = await rt.getLink(bridge);
  if (link === undefined) return true;
  try {
    // The zone's own VXLAN port is no member.
    return !(await rt.listLinks()).some((l) => l.master === link.index && !isZoneVxlanPort(l, bridge));
  } catch (e) {
    // A dump that kept changing under us: links come and go right now, so this is no zone's
    // quiet end. Counted as not empty; the DEL of the member that is last, or GC, finds it so.
    if (isRtnlError(e, 'busy')) return false;
    throw e;
  }
}

/** A zone without members (empty-zone.ts): its pairs go. Without nftables no ADD could have made any. */
export async function forgetZoneIsolation(world: ZoneWorld, bridge: string): Promise<void> {
  try {
    await removeIsolationPairs(world.nft(), bridge);
  } catch (e) {
    if (!isNftError(e, 'unavailable')) throw e;
  }
}
