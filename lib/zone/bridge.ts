// The zone's bridge vz-<zone>: made and configured by networkd from our files, or directly
// over netlink, always under nspawn's zone lock so machines and containers never race on it.
// An existing bridge (nspawn's, or an earlier ADD's) is adopted, never recreated. The zone's
// rules in our nft table (isolation; masquerade with the netlink backend, networkd does its own
// with IPMasquerade=) are written by isolation.ts; a bridge an ADD made takes them along when
// that ADD is undone. A multi-host zone's VXLAN port is brought in line under the same lock
// (vxlan.ts); a zone whose configuration lost `vxlan` loses the port.
// With the zone's name server on, systemd-resolved learns that the gateways answer
// `<zone>.<domain>` on the bridge: networkd tells it for its bridges (`DNS=`, `Domains=~` in our
// .network file); for a bridge made over netlink every ADD tells it (announceZoneDns).
import { join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { zoneFileNames } from '../networkd/zone-files.js';
import { isNftError } from '../nft/errors.js';
import { removeZoneIsolation } from '../nft/isolation.js';
import { removeZoneMasquerade } from '../nft/masquerade.js';
import type { Link } from '../rtnl/links.js';
import { waitLimit } from '../system/budget.js';
import type { LinkDnsOutcome } from '../resolved/link-dns.js';
import type { ZoneConfig, ZoneDnsConfig } from './plan.js';
import { isGatewayAddress, type Gateway } from './plan.js';
import { dropVxlanPort, ensureVxlanPort, isZoneVxlanPort } from './vxlan.js';
import { bridgeMac } from '../names/attachment.js';
import type { Links, ResolvedBackend, ZoneWorld } from './world.js';

export interface ZoneBridge {
  link: Link;
  /** True when this call made the bridge (a failed ADD then takes it away again). */
  created: boolean;
}

function requireBridge(link: Link | undefined, name: string): Link | undefined {
  if (link && link.kind !== 'bridge') {
    throw new CniError(
      ErrorCode.BridgeConflict,
      `${name} exists but is a ${link.kind ?? 'device'} link, not a bridge`,
      'remove it or choose another zone name',
    );
  }
  return link;
}

export async function ensureBridge(
  world: ZoneWorld,
  rt: Links,
  config: ZoneConfig,
  backend: ResolvedBackend,
  gateways: readonly Gateway[],
): Promise<ZoneBridge> {
  const bridge = await world.withZoneLock(async () => {
    const before = requireBridge(await rt.getLink(config.bridge), config.bridge);
    try {
      if (backend === 'networkd') await configureWithNetworkd(world, rt, config, gateways, before !== undefined);
      else await configureWithNetlink(world, rt, config, gateways, before);
    } catch (e) {
      // The caller registers its undo only for a bridge this returns: half a new zone (files
      // a hung networkd never read, a bridge without its addresses) is taken back here.
      if (before === undefined) await discardNewZone(world, rt, config, backend).catch(() => undefined);
      throw e;
    }
    const link = requireBridge(await rt.getLink(config.bridge), config.bridge);
    if (!link) throw new CniError(ErrorCode.BridgeConflict, `${config.bridge} vanished while it was being configured`);
    if (config.vxlan) await ensureVxlanPort(world, rt, { ...config, vxlan: config.vxlan }, link, backend, config.mtu);
    else if (before !== undefined) await dropVxlanPort(world, rt, config.zone, link);
    return { link, created: before === undefined };
  });
  if (backend === 'netlink' && config.dns !== false) await announceOrWarn(world, bridge.link.index, config, config.dns, gateways);
  return bridge;
}

/** `<zone>.<domain>`: the domain the zone's name server answers, and the containers' search domain. */
function zoneDomain(config: ZoneConfig, dns: ZoneDnsConfig): string {
  return `${config.zone.toLowerCase()}.${dns.domain}`;
}

/**
 * Tell systemd-resolved that the gateways answer `<zone>.<domain>` on the bridge (a routing-only
 * domain: no other name goes there). Every ADD does it again, cheaply: a resolved started or
 * restarted since learns it, which is all the undo there is to it (it forgets the link when the
 * bridge goes). Used by ADD with the netlink backend and by `zonectl repair`.
 */
export function announceZoneDns(
  world: ZoneWorld,
  bridgeIndex: number,
  config: ZoneConfig,
  dns: ZoneDnsConfig,
  gateways: readonly Pick<Gateway, 'address'>[],
): Promise<LinkDnsOutcome> {
  return world.dns.announceLink(
    bridgeIndex,
    gateways.map((g) => g.address),
    zoneDomain(config, dns),
  );
}

// Not the ADD's failure: the container's network works without the host resolving its names,
// and a runtime would retry an ADD resolved may refuse again. The warning goes to stderr, where
// runtimes log a plugin's words; the next ADD or `zonectl repair` tries again.
async function announceOrWarn(
  world: ZoneWorld,
  bridgeIndex: number,
  config: ZoneConfig,
  dns: ZoneDnsConfig,
  gateways: readonly Gateway[],
): Promise<void> {
  try {
    await announceZoneDns(world, bridgeIndex, config, dns, gateways);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    process.stderr.write(`zone: warning: the host may not resolve names of zone ${config.zone}: ${why}\n`);
  }
}

async function configureWithNetworkd(
  world: ZoneWorld,
  rt: Links,
  config: ZoneConfig,
  gateways: readonly Gateway[],
  exists: boolean,
): Promise<void> {
  const outcome = await world.networkd.writeFiles(
    {
      zone: config.zone,
      gateways: gateways.map((g) => g.cidr),
      ipMasquerade: config.ipMasq,
      ...(config.mtu !== undefined && { mtu: config.mtu }),
      ...(config.dhcpPool && { dhcpPool: config.dhcpPool }),
      ...(config.dns && { dns: { search: zoneDomain(config, config.dns) } }),
      ...(config.vxlan && { vxlan: config.vxlan, mac: bridgeMac(config.bridge, world.machineId(), config.vxlan.local) }),
    },
    config.networkDir,
  );
  // Unchanged files and a bridge networkd already made: nothing to reload. (nspawn removes an
  // empty zone bridge; networkd then needs a reload to bring it back.)
  if (!outcome.changed && exists) return;
  await world.networkd.reload();
  await world.networkd.waitConfigured(config.bridge, join(config.networkDir, zoneFileNames(config.zone).network));
  // networkd's state file can still say "configured" from before the reload (seen under load
  // when only the addresses changed): the gateways on the bridge are the proof.
  await waitForGateways(rt, config.bridge, gateways);
}

const GATEWAY_WAIT_MS = 5_000;

async function waitForGateways(rt: Links, bridge: string, gateways: readonly Gateway[]): Promise<void> {
  const deadline = Date.now() + waitLimit(GATEWAY_WAIT_MS);
  for (let interval = 2; ; interval = Math.min(interval * 2, 50)) {
    const present = await rt.listAddresses(bridge);
    const missing = gateways.filter((g) => !present.some((a) => isGatewayAddress(a, g)));
    if (missing.length === 0) return;
    if (Date.now() >= deadline) {
      throw new CniError(
        ErrorCode.TryAgainLater,
        `systemd-networkd has not put ${missing.map((g) => g.cidr).join(', ')} on ${bridge}`,
        `waited ${GATEWAY_WAIT_MS} ms after the reload; check networkctl status ${bridge}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

async function configureWithNetlink(
  world: ZoneWorld,
  rt: Links,
  config: ZoneConfig,
  gateways: readonly Gateway[],
  existing: Link | undefined,
): Promise<void> {
  const bridge =
    existing ??
    (await rt.createBridge(config.bridge, {
      mac: bridgeMac(config.bridge, world.machineId(), config.vxlan?.local),
      ...(config.mtu !== undefined && { mtu: config.mtu }),
    }));
  const present = await rt.listAddresses(bridge);
  for (const gateway of gateways) {
    if (present.some((a) => isGatewayAddress(a, gateway))) continue;
    await rt.addAddress(bridge, gateway.cidr, { noDad: true, replace: true });
  }
  if (!bridge.up) await rt.setUp(bridge);
}

/** Remove a bridge this ADD created, unless something joined it meanwhile; its rules go with it. */
export async function removeBridgeIfUnused(world: ZoneWorld, rt: Links, config: ZoneConfig): Promise<void> {
  await world.withZoneLock(async () => {
    if (await deleteBridgeIfUnused(rt, config)) await removeZoneRules(world, config);
  });
}

/** Caller holds the zone lock. True when the bridge was deleted. */
async function deleteBridgeIfUnused(rt: Links, config: ZoneConfig): Promise<boolean> {
  const bridge = await rt.getLink(config.bridge);
  if (bridge?.kind !== 'bridge') return false;
  const ports = (await rt.listLinks()).filter((l) => l.master === bridge.index);
  if (ports.some((port) => !isZoneVxlanPort(port, config.bridge))) return false;
  for (const port of ports) await rt.deleteLinkIfExists(port.index);
  return rt.deleteLinkIfExists(bridge.index);
}

/** Caller holds the zone lock. */
async function discardNewZone(world: ZoneWorld, rt: Links, config: ZoneConfig, backend: ResolvedBackend): Promise<void> {
  await deleteBridgeIfUnused(rt, config);
  if (backend === 'networkd') await world.networkd.removeFiles(config.zone, config.networkDir);
}

/** Caller holds the zone lock. The zone's masquerade and isolation elements, in one transaction. */
export async function removeZoneRules(world: ZoneWorld, config: Pick<ZoneConfig, 'zone' | 'bridge' | 'ipMasq'>): Promise<void> {
  const table = world.nft();
  let current: Awaited<ReturnType<typeof table.list>>;
  try {
    current = await table.list();
  } catch (e) {
    // Without nftables no ADD wrote anything there.
    if (isNftError(e, 'unavailable')) return;
    throw e;
  }
  const tx = removeZoneIsolation(table.transaction(), config.bridge, current?.elements ?? []);
  if (config.ipMasq) removeZoneMasquerade(tx, config.zone, current);
  await table.apply(tx);
}
