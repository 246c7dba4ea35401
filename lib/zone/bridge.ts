// The zone's bridge vz-<zone>: made and configured by networkd from our files, or directly
// over netlink, always under nspawn's zone lock so machines and containers never race on it.
// An existing bridge (nspawn's, or an earlier ADD's) is adopted, never recreated.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { withFileLock } from '../libc/lock.js';
import { removeZoneFiles, writeZoneFiles } from '../networkd/files.js';
import { reloadNetworkd, waitForLink } from '../networkd/networkd.js';
import { zoneFileNames } from '../networkd/zone-files.js';
import { isGatewayAddress, type Gateway } from './gateways.js';
import type { Rtnl } from '../rtnl/client.js';
import type { Link } from '../rtnl/links.js';
import type { ResolvedBackend } from './backend.js';
import type { ZoneConfig } from './config.js';
import { ZoneErrorCode } from './errors.js';
import { removeMasquerade } from './masquerade.js';
import { bridgeMac } from './names.js';
import { waitLimit } from '../system/budget.js';

/** The lock systemd-nspawn takes while it creates or removes zone bridges. */
export const ZONE_LOCK = '/run/systemd/nspawn-network-zone';

export interface ZoneBridge {
  link: Link;
  /** True when this call made the bridge (a failed ADD then takes it away again). */
  created: boolean;
}

/** nspawn's lock is an OFD lock, which flock(2) does not exclude. */
export function withZoneLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(ZONE_LOCK), { recursive: true });
  return withFileLock(ZONE_LOCK, fn, { kind: 'ofd' });
}

function requireBridge(link: Link | undefined, name: string): Link | undefined {
  if (link && link.kind !== 'bridge') {
    throw new CniError(ZoneErrorCode.BridgeConflict, `${name} exists but is a ${link.kind ?? 'device'} link, not a bridge`, 'remove it or choose another zone name');
  }
  return link;
}

export async function ensureBridge(
  rt: Rtnl,
  config: ZoneConfig,
  backend: ResolvedBackend,
  gateways: readonly Gateway[],
): Promise<ZoneBridge> {
  return withZoneLock(async () => {
    const before = requireBridge(await rt.getLink(config.bridge), config.bridge);
    try {
      if (backend === 'networkd') await configureWithNetworkd(rt, config, gateways, before !== undefined);
      else await configureWithNetlink(rt, config, gateways, before);
    } catch (e) {
      // The caller registers its undo only for a bridge this returns: half a new zone (files
      // a hung networkd never read, a bridge without its addresses) is taken back here.
      if (before === undefined) await discardNewZone(rt, config, backend).catch(() => undefined);
      throw e;
    }
    const link = requireBridge(await rt.getLink(config.bridge), config.bridge);
    if (!link) throw new CniError(ZoneErrorCode.BridgeConflict, `${config.bridge} vanished while it was being configured`);
    return { link, created: before === undefined };
  });
}

async function configureWithNetworkd(rt: Rtnl, config: ZoneConfig, gateways: readonly Gateway[], exists: boolean): Promise<void> {
  const outcome = await writeZoneFiles(
    {
      zone: config.zone,
      gateways: gateways.map((g) => g.cidr),
      ipMasquerade: config.ipMasq,
      ...(config.mtu !== undefined && { mtu: config.mtu }),
      ...(config.dhcpPool && { dhcpPool: config.dhcpPool }),
    },
    config.networkDir,
  );
  // Unchanged files and a bridge networkd already made: nothing to reload. (nspawn removes an
  // empty zone bridge; networkd then needs a reload to bring it back.)
  if (!outcome.changed && exists) return;
  await reloadNetworkd();
  await waitForLink(config.bridge, { networkFile: join(config.networkDir, zoneFileNames(config.zone).network) });
  // networkd's state file can still say "configured" from before the reload (seen under load
  // when only the addresses changed): the gateways on the bridge are the proof.
  await waitForGateways(rt, config.bridge, gateways);
}

const GATEWAY_WAIT_MS = 5_000;

async function waitForGateways(rt: Rtnl, bridge: string, gateways: readonly Gateway[]): Promise<void> {
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

async function configureWithNetlink(rt: Rtnl, config: ZoneConfig, gateways: readonly Gateway[], existing: Link | undefined): Promise<void> {
  const bridge =
    existing ?? (await rt.createBridge(config.bridge, { mac: bridgeMac(config.bridge, machineId()), ...(config.mtu !== undefined && { mtu: config.mtu }) }));
  const present = await rt.listAddresses(bridge);
  for (const gateway of gateways) {
    if (present.some((a) => isGatewayAddress(a, gateway))) continue;
    await rt.addAddress(bridge, gateway.cidr, { noDad: true, replace: true });
  }
  if (!bridge.up) await rt.setUp(bridge);
}

function machineId(): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Remove a bridge this ADD created, unless something joined it meanwhile; its masquerade goes with it. */
export async function removeBridgeIfUnused(rt: Rtnl, config: ZoneConfig): Promise<void> {
  await withZoneLock(async () => {
    if ((await deleteBridgeIfUnused(rt, config)) && config.ipMasq) await removeMasquerade(config.zone);
  });
}

/** Caller holds the zone lock. True when the bridge was deleted. */
async function deleteBridgeIfUnused(rt: Rtnl, config: ZoneConfig): Promise<boolean> {
  const bridge = await rt.getLink(config.bridge);
  if (!bridge || bridge.kind !== 'bridge') return false;
  const ports = (await rt.listLinks()).filter((l) => l.master === bridge.index);
  return ports.length === 0 && (await rt.deleteLinkIfExists(bridge.index));
}

/** Caller holds the zone lock. */
async function discardNewZone(rt: Rtnl, config: ZoneConfig, backend: ResolvedBackend): Promise<void> {
  await deleteBridgeIfUnused(rt, config);
  if (backend === 'networkd') await removeZoneFiles(config.zone, config.networkDir);
}
