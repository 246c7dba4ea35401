// The zone's name server, from the zone core: an ADD registers the container's names (its pod
// name and aliases, plan.ts) in the zone's names store and makes sure the zone's server runs;
// the result tells the container where it is. A DEL removes the names at once, and the last
// member leaving (DEL, GC, the undo of an ADD) stops the server. The server starts and stops
// under the zone lock, and only after the bridge has been looked at under it: a DEL that finds
// the zone empty and an ADD joining it cannot cross. Everything goes through the world's `dns`.
import type { NetConf } from '../cni/config.js';
import type { Attachment, DNS, IPConfig } from '../cni/types.js';
import { DEFAULT_DNS_STATE_DIR } from '../dns/names.js';
import type { ZoneDnsServer } from '../dns/supervisor.js';
import { configPathProblem } from '../cni/paths.js';
import { zoneIsEmpty } from './isolation.js';
import { type Gateway, subnetOf, type ZoneConfig, type ZoneDnsConfig, zoneOfDel } from './plan.js';
import type { ZoneWorld } from './world.js';

/** What the zone's server serves: its gateways, its subnets, the config's domain. */
export function zoneDnsServer(config: ZoneConfig, dns: ZoneDnsConfig, gateways: readonly Gateway[]): ZoneDnsServer {
  return {
    zone: config.zone,
    stateDir: dns.stateDir,
    domain: dns.domain,
    forward: dns.forward,
    listen: gateways.map((g) => g.address),
    subnets: gateways.map(subnetOf),
  };
}

/** The addresses a container's names resolve to: its own, without their prefix. */
export function nameAddresses(ips: readonly IPConfig[]): string[] {
  return ips.map((ip) => ip.address.split('/')[0] as string);
}

const unique = (values: readonly string[]) => [...new Set(values)];

/**
 * The result's `dns`: the gateways as nameservers and `<zone>.<domain>` as search domain first,
 * then what IPAM (or the configuration's spec fields) gave.
 */
export function resultDns(config: ZoneConfig, dns: ZoneDnsConfig, gateways: readonly Gateway[], theirs: DNS | undefined): DNS {
  const merged: DNS = {
    nameservers: unique([...gateways.map((g) => g.address), ...(theirs?.nameservers ?? [])]),
    search: unique([`${config.zone.toLowerCase()}.${dns.domain}`, ...(theirs?.search ?? [])]),
  };
  if (theirs?.domain !== undefined) merged.domain = theirs.domain;
  if (theirs?.options !== undefined && theirs.options.length > 0) merged.options = [...theirs.options];
  return merged;
}

/** The spec's `dns` dictionary of the configuration, as a result carries it. */
export function configuredDns(conf: NetConf): DNS | undefined {
  const dns = conf.dns;
  if (typeof dns !== 'object') return undefined;
  const { nameservers, search, options, domain } = dns as DNS;
  const picked: DNS = {
    ...(Array.isArray(nameservers) && { nameservers }),
    ...(typeof domain === 'string' && { domain }),
    ...(Array.isArray(search) && { search }),
    ...(Array.isArray(options) && { options }),
  };
  return Object.keys(picked).length > 0 ? picked : undefined;
}

/** Stop the zone's server when the zone has no member (under the zone lock). */
export async function stopServerIfEmpty(world: ZoneWorld, zone: { zone: string; bridge: string }, stateDir: string): Promise<void> {
  const host = await world.hostLinks();
  try {
    if (!(await zoneIsEmpty(host, zone.bridge))) return;
    await world.withZoneLock(async () => {
      if (await zoneIsEmpty(host, zone.bridge)) await world.dns.stopServer(zone.zone, stateDir);
    });
  } finally {
    host.close();
  }
}

/** Start the zone's server unless it runs, under the zone lock. */
export async function ensureServer(world: ZoneWorld, server: ZoneDnsServer): Promise<void> {
  await world.withZoneLock(() => world.dns.ensureServer(server));
}

/** Where a DEL finds the zone's names and server: its configuration's `nameServer.stateDir`, when that is usable. */
export function dnsStateDirOfDel(conf: NetConf): string {
  const dns = (conf as { nameServer?: unknown }).nameServer;
  if (typeof dns === 'object' && dns !== null && 'stateDir' in dns) {
    const stateDir = (dns as { stateDir: unknown }).stateDir;
    if (typeof stateDir === 'string' && configPathProblem(stateDir) === undefined) return stateDir;
  }
  return DEFAULT_DNS_STATE_DIR;
}

/**
 * DEL: the attachment's names go at once (whatever the configuration says now: it may have
 * turned dns off since ADD), and the server goes with the zone's last member.
 */
export async function forgetNames(world: ZoneWorld, conf: NetConf, owner: Attachment): Promise<void> {
  const zone = zoneOfDel(conf);
  if (zone === undefined) return;
  await world.dns.removeNames(zone.zone, dnsStateDirOfDel(conf), owner);
}
