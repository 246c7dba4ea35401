// Who switched route_localnet on, and when it goes off again. ADD turns it on for the
// interface a localhost mapping's packets leave by (localnet.ts) and, when it had to, leaves a
// marker `localnet-<ifname>` in the ports state directory. A DEL or GC that removed a mapping
// reachable from 127.0.0.0/8 then switches it off on every marked interface that no remaining
// such mapping routes through. An interface an administrator set by hand carries no marker
// and is left alone.
//
// Both sides run under one lock (<stateDir>/localnet.lock). An ADD's elements are in the table
// before it takes the lock, and a DEL lists the table only once it holds it: so either the
// DEL sees the ADD's mapping and keeps route_localnet, or the ADD comes after and finds it
// off and turns it on again. Networks with different state directories do not share the lock.
import { join } from 'node:path';
import { createFile, removeQuietly } from '../files/durable.js';
import { withFileLock } from '../libc/lock.js';
import { linkNameProblem } from '../names/index.js';
import type { Listing } from '../nft/listing.js';
import type { Element } from '../nft/objects.js';
import { disableRouteLocalnet, enableRouteLocalnet, routeInterface, routeLocalnetEnabled } from './localnet.js';
import { ioError, listDir } from './state.js';
import { dnatMapName, NOLOCAL_SET } from './ruleset.js';
import type { World } from './request.js';

const LOCK_FILE = 'localnet.lock';
const MARKER_PREFIX = 'localnet-';
const ANY_V4 = dnatMapName(4, false);
const ADDR_V4 = dnatMapName(4, true);

function isLoopbackKey(element: Element): boolean {
  return element.set === ADDR_V4 && (element.key[1] ?? '').startsWith('127.');
}

function withLocalnetLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(join(stateDir, LOCK_FILE), fn, { kind: 'flock' });
}

// A marker must name a link as the kernel may (a sysctl path segment, lib/netns/sysctl.ts);
// any other marker is not one of ours.

function markedInterfaces(stateDir: string): string[] {
  return listDir(stateDir)
    .filter((name) => name.startsWith(MARKER_PREFIX))
    .map((name) => name.slice(MARKER_PREFIX.length))
    .filter((ifname) => linkNameProblem(ifname) === undefined);
}

function mark(stateDir: string, ifname: string): void {
  try {
    createFile(join(stateDir, `${MARKER_PREFIX}${ifname}`), '', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(`cannot write ${join(stateDir, `${MARKER_PREFIX}${ifname}`)}`, e);
  }
}

/**
 * ADD: route_localnet on for `ifname`, remembering it when it was off. The marker comes first:
 * a kill between the two steps must leave a marker without the switch (a DEL turns off what is
 * off already), never the switch without a marker (nothing would ever turn it off again).
 */
export async function openLoopback(world: World, stateDir: string, ifname: string): Promise<void> {
  await withLocalnetLock(stateDir, async () => {
    if (ifname === 'lo' || (await routeLocalnetEnabled(ifname, world.sysctl))) return;
    mark(stateDir, ifname);
    try {
      await enableRouteLocalnet(ifname, world.sysctl);
    } catch (e) {
      removeQuietly(join(stateDir, `${MARKER_PREFIX}${ifname}`));
      throw e;
    }
  });
}

/** Whether removing `elements` may leave an interface without mappings reachable from 127.0.0.0/8. */
export function exposesLoopback(elements: readonly Element[]): boolean {
  return elements.some((element) => element.set === ANY_V4 || isLoopbackKey(element));
}

/** The interfaces the IPv4 mappings reachable from 127.0.0.0/8 in `listing` lead out of. */
export function interfacesInUse(listing: Listing | undefined, routeTable: string): Set<string> {
  const elements = listing?.elements ?? [];
  const nolocal = new Set(elements.filter((e) => e.set === NOLOCAL_SET).map((e) => e.key.join(' . ')));
  const exposed = elements.filter((e) => (e.set === ANY_V4 && !nolocal.has(e.key.join(' . '))) || isLoopbackKey(e));
  const targets = new Set(exposed.flatMap((e) => (e.value?.[0] === undefined ? [] : [e.value[0]])));
  return new Set([...targets].flatMap((address) => routeInterface(address, routeTable) ?? []));
}

/** DEL and GC, after `removed` went: route_localnet off where we turned it on and nothing needs it now. */
export async function releaseLoopback(world: World, stateDir: string, removed: readonly Element[]): Promise<void> {
  if (!exposesLoopback(removed) || markedInterfaces(stateDir).length === 0) return;
  await withLocalnetLock(stateDir, async () => {
    const marked = markedInterfaces(stateDir);
    if (marked.length === 0) return;
    const inUse = interfacesInUse(await world.table.list(), world.routeTable());
    for (const ifname of marked.filter((name) => !inUse.has(name))) {
      await disableRouteLocalnet(ifname, world.sysctl);
      removeQuietly(join(stateDir, `${MARKER_PREFIX}${ifname}`));
    }
  });
}
