// CHECK: the attachment still looks like ADD left it — container interface with its
// addresses and routes, host end on the zone's bridge, the zone's isolation as its
// configuration says (a changed allowZones shows here until the next ADD or zonectl repair), a
// multi-host zone's VXLAN port with its peers and the rules that keep DHCP and router
// advertisements on this host, the zone's name server running when dns is on — and IPAM agrees.
import type { Request } from '../cni/dispatch.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import type { Result } from '../cni/types.js';
import { canonicalAddress, formatSubnet, parseCidr, subnetOf } from '../ip/index.js';
import { zoneTrafficLocalProblems } from '../nft/vxlan-local.js';
import { zoneIsolationDrift } from './isolation.js';
import { loadZoneConfig, type ZoneConfig } from './plan.js';
import { hostVethName } from '../names/attachment.js';
import { vxlanPortProblems } from './vxlan.js';
import type { ContainerNamespace, ZoneWorld } from './world.js';

function checkFailed(what: string): CniError {
  return new CniError(ErrorCode.ZoneCheckFailed, what);
}

export async function check(world: ZoneWorld, req: Request): Promise<void> {
  const config = loadZoneConfig(req.conf);
  const prev = req.prevResult as Result;
  const { ifname, netns: netnsPath } = req.env;
  const index = prev.interfaces?.findIndex((i) => i.name === ifname && i.sandbox === netnsPath) ?? -1;
  if (index < 0) throw checkFailed(`prevResult has no interface ${ifname} in ${netnsPath}`);
  const ns = world.openContainer(netnsPath);
  try {
    await checkHostSide(world, config, hostVethName(req.env.containerId, ifname));
    await checkContainerSide(ns, ifname, prev, index);
    await checkIsolation(world, config);
    if (config.dns !== false && !(await world.dns.serverRuns(config.zone, config.dns.stateDir))) {
      throw checkFailed(`the name server of zone ${config.zone} is not running`);
    }
  } finally {
    ns.close();
  }
  await world.ipam.check(req);
  if (world.ports.prepare(req)) await world.ports.check(req, prev);
}

async function checkHostSide(world: ZoneWorld, config: ZoneConfig, hostName: string): Promise<void> {
  const host = await world.hostLinks();
  try {
    const bridge = await host.getLink(config.bridge);
    if (bridge?.kind !== 'bridge') throw checkFailed(`zone bridge ${config.bridge} is missing`);
    const port = await host.getLink(hostName);
    if (!port) throw checkFailed(`host veth ${hostName} is missing`);
    if (port.master !== bridge.index) throw checkFailed(`host veth ${hostName} is not attached to ${config.bridge}`);
    if (!port.up) throw checkFailed(`host veth ${hostName} is down`);
    if (config.vxlan) {
      const problems = await vxlanPortProblems(host, { ...config, vxlan: config.vxlan }, bridge);
      problems.push(...(await zoneTrafficLocalProblems(world.nft('bridge'))));
      if (problems.length > 0) throw checkFailed(`multi-host zone ${config.zone}: ${problems.join('; ')}`);
    }
  } finally {
    host.close();
  }
}

async function checkIsolation(world: ZoneWorld, config: ZoneConfig): Promise<void> {
  const drift = await zoneIsolationDrift(world, config);
  if (drift.length > 0) throw checkFailed(`isolation of zone ${config.zone}: ${drift.join(', ')}`);
}

async function checkContainerSide(ns: ContainerNamespace, ifname: string, prev: Result, index: number): Promise<void> {
  const netnsPath = ns.path;
  const rt = await ns.links();
  try {
    const link = await rt.getLink(ifname);
    if (!link) throw checkFailed(`interface ${ifname} is missing in ${netnsPath}`);
    const expectedMac = prev.interfaces?.[index]?.mac;
    if (expectedMac && link.mac !== expectedMac) throw checkFailed(`interface ${ifname} has MAC ${link.mac}, expected ${expectedMac}`);
    const present = new Set((await rt.listAddresses(link)).map((a) => canonicalHost(a.cidr)));
    const missing = (prev.ips ?? [])
      .filter((ip) => ip.interface === index && !present.has(canonicalHost(ip.address)))
      .map((ip) => ip.address);
    if (missing.length) throw checkFailed(`interface ${ifname} lacks address ${missing.join(', ')}`);
    const routes = await rt.listRoutes(undefined, { table: 'all' });
    const missingRoutes = (prev.routes ?? []).filter((r) => !routes.some((have) => sameRoute(have, r)));
    if (missingRoutes.length) throw checkFailed(`route to ${missingRoutes.map((r) => r.dst).join(', ')} is missing in ${netnsPath}`);
  } finally {
    rt.close();
  }
}

/** `10.89.0.0/24` for `10.89.0.7/24`: routes compare by their prefix. */
function canonicalPrefix(cidr: string): string {
  const parsed = parseCidr(cidr);
  return parsed ? formatSubnet(subnetOf(parsed)) : cidr;
}

/** `fd89:0::5/64` and `fd89::5/64` are one address. */
function canonicalHost(cidr: string): string {
  const [ip = '', prefix] = cidr.split('/');
  return `${canonicalAddress(ip) ?? ip}/${prefix}`;
}

function sameGateway(have: string | undefined, want: string): boolean {
  return have !== undefined && (canonicalAddress(have) ?? have) === (canonicalAddress(want) ?? want);
}

function sameRoute(have: { dst: string; gw?: string | undefined }, want: { dst: string; gw?: string }): boolean {
  if (canonicalPrefix(have.dst) !== canonicalPrefix(want.dst)) return false;
  return want.gw === undefined || sameGateway(have.gw, want.gw);
}
