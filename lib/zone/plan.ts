// What an ADD works from, every part of it checked before the first change: the zone
// plugin's own configuration on top of the common NetConf, the MAC a runtime asks for, and
// what IPAM hands out (addresses, the bridge's gateways, routes), which a delegated IPAM may
// get wrong in ways only a built zone would show.
//   zone       1-12 chars of [A-Za-z0-9_.-], a letter or digit first (lib/names); the bridge is vz-<zone>
//              (default: the network name)
//   backend    auto | networkd | netlink
//   networkDir where networkd files go (default /run/systemd/network)
//   ipMasq, hairpin (default: on with the portMappings capability), mtu, dhcpPool {offset, size},
//   ipv6Dad (default false: no DAD in containers)
//   allowZones the zones whose members may open connections to this zone's and back (default none)
//   vxlan      {vni, local, peers: [], port: 4789}: a zone that spans hosts; this host's VXLAN port
//              vx-<zone> on the bridge replicates to every peer (lib/zone/vxlan.ts)
//   nameServer {domain: "internal", forward: true, stateDir: /run/cni-zones/dns}, or false: the zone's
//              name server at its gateways, answering <name>.<zone>.<domain> (lib/dns). Not `dns`:
//              that is the spec's resolver dictionary, which runtimes and users already fill.
import * as z from 'zod/mini';
import type { NetConf } from '../cni/config.js';
import type { Request } from '../cni/dispatch.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import { configPath } from '../cni/paths.js';
import { parseOrThrow } from '../cni/schema.js';
import type { IPConfig, Result, Route } from '../cni/types.js';
import {
  type Address,
  canonicalAddress,
  formatAddress,
  formatSubnet,
  isV4Mapped,
  parseAddress,
  parseCidr,
  sameAddress,
  type Subnet,
  subnetContains,
  subnetOf as subnetOfCidr,
  unicastProblem,
} from '../ip/index.js';
import { DEFAULT_DNS_STATE_DIR } from '../dns/names.js';
import { dnsLabelProblem, dnsNameProblem, ZONE_NAME_RULE, zoneNameProblem, zoneNetworkNameProblem } from '../names/index.js';
import { defaultNetworkDir } from '../networkd/files.js';
import type { ZoneVxlan } from '../networkd/vxlan-files.js';
import { bridgeName } from '../networkd/zone-files.js';
import type { Address as LinkAddress } from '../rtnl/addresses.js';
import type { ZoneWorld } from './world.js';

/** What an ADD works from, every part of it checked before the first change. */
export interface AttachPlan {
  config: ZoneConfig;
  mac: string | undefined;
  ipamAdd: () => Promise<Result>;
  ports: boolean;
  /** The container's names in the zone's name server (none when dns is off). */
  names: string[];
}

export function planAttach(world: ZoneWorld, req: Request): AttachPlan {
  const config = loadZoneConfig(req.conf);
  const mac = requestedMac(req);
  const names = config.dns === false ? [] : containerNames(req);
  const ipamAdd = world.ipam.prepareAdd(req);
  const ports = world.ports.prepare(req);
  return { config, mac, ipamAdd, ports, names };
}

/**
 * The names a container is known by in its zone, lowercased, once each: its pod name
 * (CNI_ARGS K8S_POD_NAME, which runtimes send whatever it is: one that is no DNS label is left
 * out with a warning) and the `aliases` capability for this network (the user's configuration:
 * an invalid one is code 7).
 */
function containerNames(req: Request): string[] {
  const names: string[] = [];
  const pod = req.env.args.values.get('K8S_POD_NAME');
  if (pod !== undefined && pod !== '') {
    const label = pod.toLowerCase();
    const problem = dnsLabelProblem(label);
    if (problem)
      process.stderr.write(`zone: pod name ${JSON.stringify(pod.slice(0, 64))} is not a DNS label (${problem}): no name for it\n`);
    else names.push(label);
  }
  const aliases = (req.conf.runtimeConfig?.aliases as Record<string, unknown> | undefined)?.[req.conf.name];
  if (aliases !== undefined) {
    if (!Array.isArray(aliases) || aliases.some((alias) => typeof alias !== 'string')) {
      throw new CniError(ErrorCode.InvalidNetworkConfig, `runtimeConfig.aliases.${req.conf.name} is not a list of names`);
    }
    for (const alias of aliases as string[]) {
      const label = alias.toLowerCase();
      const problem = dnsLabelProblem(label);
      if (problem) {
        throw new CniError(
          ErrorCode.InvalidNetworkConfig,
          `invalid alias ${JSON.stringify(alias.slice(0, 64))} in runtimeConfig.aliases`,
          problem,
        );
      }
      names.push(label);
    }
  }
  return [...new Set(names)];
}

export type Backend = 'auto' | 'networkd' | 'netlink';

export interface ZoneConfig {
  zone: string;
  bridge: string;
  backend: Backend;
  networkDir: string;
  ipMasq: boolean;
  hairpin: boolean;
  mtu?: number;
  dhcpPool?: { offset: number; size: number };
  ipv6Dad: boolean;
  /** Zones this one allows connections with, both ways; valid zone names, once each, never itself. */
  allowZones: string[];
  /** The zone's name server, or false when it has none. */
  dns: ZoneDnsConfig | false;
  /** A multi-host zone's VXLAN port; addresses canonical, peers once each, never `local`. */
  vxlan?: ZoneVxlan;
}

export interface ZoneDnsConfig {
  /** Lowercase, without a trailing dot: names are `<name>.<zone>.<domain>`. */
  domain: string;
  /** Forward other names to the host's resolvers (otherwise they are refused). */
  forward: boolean;
  /** Where the zone's names store and its server's record live. */
  stateDir: string;
}

const DEFAULT_DNS_DOMAIN = 'internal';
/** IANA's VXLAN port (RFC 7348). */
const DEFAULT_VXLAN_PORT = 4789;
const MAX_VXLAN_PEERS = 1024;

let schema: ReturnType<typeof buildSchema> | undefined;

// Built on first use: a VERSION call never pays for it.
function buildSchema() {
  const positive = z.number().check(z.int(), z.positive());
  return z.looseObject({
    zone: z.optional(z.string()),
    backend: z.optional(z.enum(['auto', 'networkd', 'netlink'])),
    networkDir: z.optional(configPath()),
    ipMasq: z.optional(z.boolean()),
    hairpin: z.optional(z.boolean()),
    mtu: z.optional(z.number().check(z.int(), z.gte(68), z.lte(65535))),
    dhcpPool: z.optional(z.object({ offset: positive, size: positive })),
    ipv6Dad: z.optional(z.boolean()),
    allowZones: z.optional(z.array(z.string())),
    vxlan: z.optional(
      z.object({
        vni: z.number().check(z.int(), z.gte(0), z.lte(0xffffff)),
        local: z.string(),
        peers: z.optional(z.array(z.string())),
        port: z.optional(z.number().check(z.int(), z.gte(1), z.lte(65535))),
      }),
    ),
    nameServer: z.optional(
      z.union([
        z.literal(false),
        z.object({ domain: z.optional(z.string()), forward: z.optional(z.boolean()), stateDir: z.optional(configPath()) }),
      ]),
    ),
  });
}

export function loadZoneConfig(conf: NetConf): ZoneConfig {
  schema ??= buildSchema();
  const raw = parseOrThrow(schema, conf, ErrorCode.InvalidNetworkConfig, 'zone configuration');
  const zone = raw.zone ?? conf.name;
  const zoneProblem = zoneNameProblem(zone);
  if (zoneProblem) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `invalid zone name "${zone}"`,
      raw.zone === undefined
        ? `the network name is used as the zone name when "zone" is not set, and ${zoneProblem}: set "zone" to ${ZONE_NAME_RULE}`
        : `${zoneProblem}; a zone name is ${ZONE_NAME_RULE} (vz-<zone> must fit an interface name)`,
    );
  }
  const networkProblem = zoneNetworkNameProblem(conf.name);
  if (networkProblem) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `network name "${conf.name.slice(0, 32)}..." is too long for the zone plugin`,
      networkProblem,
    );
  }
  if (!conf.ipam) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      'the zone plugin needs an "ipam" section',
      'e.g. "ipam": {"type": "zone-ipam", "ranges": [[{"subnet": "10.89.0.0/24"}]]}',
    );
  }
  return {
    zone,
    bridge: bridgeName(zone),
    backend: raw.backend ?? 'auto',
    networkDir: raw.networkDir ?? defaultNetworkDir,
    ipMasq: raw.ipMasq ?? true,
    // A container reaching its own published port through the host comes back in on its own
    // bridge port: with the portMappings capability that is expected to work without asking.
    hairpin: raw.hairpin ?? conf.capabilities?.portMappings === true,
    ...(raw.mtu !== undefined && { mtu: raw.mtu }),
    ...(raw.dhcpPool && { dhcpPool: raw.dhcpPool }),
    ipv6Dad: raw.ipv6Dad ?? false,
    allowZones: allowedZones(raw.allowZones ?? [], zone),
    ...(raw.vxlan && { vxlan: vxlanOf(raw.vxlan) }),
    dns:
      raw.nameServer === false
        ? false
        : {
            domain: dnsDomain(raw.nameServer?.domain ?? DEFAULT_DNS_DOMAIN),
            forward: raw.nameServer?.forward ?? true,
            stateDir: raw.nameServer?.stateDir ?? DEFAULT_DNS_STATE_DIR,
          },
  };
}

/** `nameServer.domain`, lowercased, without a trailing dot, each label by the DNS label rule. */
function dnsDomain(domain: string): string {
  const canonical = domain.toLowerCase().replace(/\.$/, '');
  const problem = dnsNameProblem(canonical);
  if (problem)
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid "nameServer.domain" ${JSON.stringify(domain.slice(0, 64))}`, problem);
  return canonical;
}

/** `vxlan` with its addresses checked: unicast, one family, `local` never among the peers. */
function vxlanOf(raw: { vni: number; local: string; peers?: string[] | undefined; port?: number | undefined }): ZoneVxlan {
  const local = underlayAddress(raw.local, 'vxlan.local');
  if ((raw.peers ?? []).length > MAX_VXLAN_PEERS) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `"vxlan.peers" lists ${raw.peers?.length} hosts`, `at most ${MAX_VXLAN_PEERS}`);
  }
  const texts = new Set<string>();
  const peers = (raw.peers ?? [])
    .map((peer) => underlayAddress(peer, 'vxlan.peers'))
    .filter((peer) => !texts.has(formatAddress(peer)) && texts.add(formatAddress(peer)));
  for (const peer of peers) {
    const problem =
      peer.family !== local.family
        ? `not of the family of "local" (${raw.local})`
        : sameAddress(peer, local)
          ? 'it is "local" itself'
          : undefined;
    if (problem) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid peer ${formatAddress(peer)} in "vxlan.peers"`, problem);
  }
  return { vni: raw.vni, local: formatAddress(local), port: raw.port ?? DEFAULT_VXLAN_PORT, peers: peers.map(formatAddress) };
}

function underlayAddress(text: string, field: string): Address {
  const address = parseAddress(text);
  const shown = JSON.stringify(text.slice(0, 64));
  if (!address || isV4Mapped(address))
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid address ${shown} in "${field}"`, 'an IPv4 or IPv6 address');
  const special = unicastProblem(address);
  if (special)
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid address ${shown} in "${field}"`, `it is ${special}, not a host's own`);
  return address;
}

/** `allowZones`, each checked by the zone name rule (it becomes a bridge name in our nft set). */
function allowedZones(listed: readonly string[], zone: string): string[] {
  for (const peer of listed) {
    const problem = zoneNameProblem(peer);
    if (problem) {
      throw new CniError(
        ErrorCode.InvalidNetworkConfig,
        `invalid zone name ${JSON.stringify(peer.slice(0, 32))} in "allowZones"`,
        `${problem}; a zone name is ${ZONE_NAME_RULE}`,
      );
    }
  }
  return [...new Set(listed)].filter((peer) => peer !== zone);
}

/**
 * The zone a DEL's configuration names, or undefined when it names none that is valid: DEL
 * must not fail on a configuration that changed or broke since ADD.
 */
export function zoneOfDel(conf: NetConf): { zone: string; bridge: string } | undefined {
  const zone = typeof conf.zone === 'string' ? conf.zone : conf.name;
  return zoneNameProblem(zone) === undefined ? { zone, bridge: bridgeName(zone) } : undefined;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * The container MAC a runtime may ask for: runtimeConfig.mac (capability "mac") wins over
 * args.cni.mac, which wins over CNI_ARGS MAC= (CONVENTIONS.md).
 */
export function requestedMac(req: Request): string | undefined {
  const runtime = req.conf.runtimeConfig?.mac;
  const mac = (typeof runtime === 'string' ? runtime : undefined) ?? req.conf.args?.cni?.mac ?? req.env.args.values.get('MAC');
  if (mac === undefined) return undefined;
  if (!MAC.test(mac))
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid MAC address "${mac}"`, 'expected six hex bytes separated by ":"');
  if (parseInt(mac.slice(0, 2), 16) & 1) throw new CniError(ErrorCode.InvalidNetworkConfig, `MAC address ${mac} is a multicast address`);
  return mac.toLowerCase();
}

// The bridge's own addresses, derived from what IPAM handed out: each range's gateway with
// the prefix length of its subnet (10.89.0.1/24). Containers route through them.
export interface Gateway {
  /** `10.89.0.1/24` */
  cidr: string;
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** One gateway per distinct IPAM gateway; IPAM entries without one give none. */
export function gatewaysOf(ips: readonly IPConfig[]): Gateway[] {
  const gateways: Gateway[] = [];
  for (const ip of ips) {
    if (!ip.gateway) continue;
    const prefix = Number(ip.address.split('/')[1]);
    const cidr = `${ip.gateway}/${prefix}`;
    if (gateways.some((g) => g.cidr === cidr)) continue;
    gateways.push({ cidr, address: ip.gateway, prefix, family: parseAddress(ip.gateway)?.family === 6 ? 6 : 4 });
  }
  return gateways;
}

function subnetOfAddress(cidr: string): Subnet | undefined {
  const parsed = parseCidr(cidr);
  return parsed && subnetOfCidr(parsed);
}

function unusableResult(msg: string, details: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}

/**
 * What IPAM handed out (a delegated one may hand out anything), checked before a bridge or a
 * veth is built on it: a subnet of the whole address space would route all the host's traffic
 * into the zone, an address that is its own gateway would give the host's bridge address to
 * the container, a gateway outside the subnet cannot be reached.
 */
export function checkIpamAddresses(ips: readonly IPConfig[]): void {
  const hint = 'check the IPAM configuration (subnet, gateway, rangeStart)';
  for (const ip of ips) {
    const parsed = parseCidr(ip.address);
    const subnet = subnetOfAddress(ip.address);
    if (!parsed || !subnet)
      throw unusableResult(`IPAM returned ${JSON.stringify(ip.address)}, which is not an address with a prefix`, hint);
    if (parsed.prefix === 0) throw unusableResult(`IPAM returned ${ip.address}: a /0 subnet spans every address`, hint);
    if (ip.gateway === undefined) continue;
    const gateway = parseAddress(ip.gateway);
    if (sameAddress(parsed.address, gateway))
      throw unusableResult(`IPAM returned ${ip.address} with the same address as its gateway`, hint);
    if (!gateway || !subnetContains(subnet, gateway))
      throw unusableResult(`IPAM returned gateway ${ip.gateway} outside ${formatSubnet(subnet)}`, hint);
  }
}

const isLinkLocalV6 = (a: Address) => a.family === 6 && a.value >> 118n === 0x3fan;

/** Each route's gateway must be on the container's link: in one of its subnets (or IPv6 link-local). */
export function checkRouteGateways(routes: readonly Route[], ips: readonly IPConfig[]): void {
  const subnets = ips.flatMap((ip) => subnetOfAddress(ip.address) ?? []);
  for (const route of routes) {
    if (route.gw === undefined) continue;
    const gateway = parseAddress(route.gw);
    if (gateway && gateway.family !== parseCidr(route.dst)?.address.family) {
      throw unusableResult(
        `route to ${route.dst} via ${route.gw}: the gateway is of the other address family`,
        'fix the route in the IPAM configuration',
      );
    }
    if (gateway && (isLinkLocalV6(gateway) || subnets.some((s) => subnetContains(s, gateway)))) continue;
    throw unusableResult(
      `route to ${route.dst} via ${route.gw}: the gateway is in none of the container's subnets`,
      `the container's subnets: ${subnets.map((s) => formatSubnet(s)).join(', ') || 'none'}; fix the route in the IPAM configuration`,
    );
  }
}

/** The smallest MTU IPv6 runs on (RFC 8200); below it the kernel drops IPv6 from a link. */
const IPV6_MIN_MTU = 1280;

/**
 * An IPv6 zone needs an MTU of 1280 or more. Checked before the bridge exists: the kernel's own
 * answer comes later, as a bare EINVAL on the bridge's gateway address.
 */
export function checkMtuFits(mtu: number | undefined, gateways: readonly Gateway[]): void {
  const v6 = gateways.find((g) => g.family === 6);
  if (mtu === undefined || mtu >= IPV6_MIN_MTU || !v6) return;
  throw new CniError(
    ErrorCode.InvalidNetworkConfig,
    `mtu ${mtu} is below ${IPV6_MIN_MTU}, the minimum for IPv6, and the zone has the IPv6 subnet ${subnetOf(v6)}`,
    `raise "mtu" to at least ${IPV6_MIN_MTU} or leave IPv6 out of the IPAM ranges`,
  );
}

/** The subnet a gateway sits in, e.g. `10.89.0.0/24`. */
export function subnetOf(gateway: Gateway): string {
  const parsed = parseCidr(gateway.cidr);
  if (!parsed) throw new Error(`bad gateway ${gateway.cidr}`);
  return formatSubnet(subnetOfCidr(parsed));
}

export function isGatewayAddress(present: LinkAddress, gateway: Gateway): boolean {
  return (
    present.prefixLength === gateway.prefix &&
    (canonicalAddress(present.address) ?? present.address) === (canonicalAddress(gateway.address) ?? gateway.address)
  );
}
