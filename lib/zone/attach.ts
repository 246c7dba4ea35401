// ADD: put a container on its zone. First everything that can be checked without changing
// anything (config, MAC, IPAM config, port mappings, CNI_NETNS); then IPAM (the bridge's
// addresses come from its gateways), the bridge, the veth pair straight into the container's
// namespace, the container side, ports, isolation and masquerade, forwarding. Every step that
// made something registers its undo; any error runs them in reverse, so a failed ADD leaves
// nothing behind.
// With the zone's name server on, the container's names go into the zone's store and the server
// is made sure of once the container's veth is on the bridge (dns.ts).
// nft and sysctls come last: the steps that fail most often fail before our table or
// ip_forward were ever touched.
import type { Request } from '../cni/dispatch.js';
import { asCniError, CniError, ErrorCode } from '../cni/errors.js';
import type { Interface, Result } from '../cni/types.js';
import { spendReserve } from '../system/budget.js';
import { ensureBridge, removeBridgeIfUnused } from './bridge.js';
import { configureContainer, effectiveRoutes } from './container.js';
import { configuredDns, ensureServer, nameAddresses, resultDns, stopServerIfEmpty, zoneDnsServer } from './dns.js';
import { ensureZoneRules } from './isolation.js';
import { type AttachPlan, checkIpamAddresses, checkMtuFits, checkRouteGateways, gatewaysOf, planAttach, subnetOf } from './plan.js';
import { attachmentAlias, hostVethName } from '../names/attachment.js';
import { runAll, type Step, withUndoFailures } from './steps.js';
import { zoneMtu } from './vxlan.js';
import type { ContainerNamespace, Links, ZoneWorld } from './world.js';

/** One ADD in progress: where it works, and the undo of each step done so far. */
interface Attaching {
  world: ZoneWorld;
  req: Request;
  plan: AttachPlan;
  ns: ContainerNamespace;
  host: Links;
  container: Links;
  undo: Step[];
}

export async function attach(world: ZoneWorld, req: Request): Promise<Result> {
  const plan = planAttach(world, req);
  const ns = world.openContainer(req.env.netns);
  const undo: Step[] = [];
  let host: Links | undefined;
  let container: Links | undefined;
  try {
    host = await world.hostLinks();
    container = await ns.links();
    return await attachSteps({ world, req, plan, ns, host, container, undo });
  } catch (e) {
    spendReserve();
    throw withUndoFailures(asCniError(e), await runAll(undo.reverse()));
  } finally {
    container?.close();
    host?.close();
    ns.close();
  }
}

async function attachSteps(a: Attaching): Promise<Result> {
  const { world, req, plan, host, container, undo } = a;
  const { ifname } = req.env;
  if (await container.getLink(ifname)) {
    throw new CniError(
      ErrorCode.InterfaceExists,
      `interface ${ifname} already exists in ${req.env.netns}`,
      'choose another CNI_IFNAME or DEL the earlier attachment',
    );
  }
  // A multi-host zone's MTU comes from its underlay (vxlan.ts): asked before anything is made.
  const mtu = await zoneMtu(host, plan.config);
  const config = { ...plan.config, ...(mtu !== undefined && { mtu }) };
  const backend = await world.backend(config.backend);

  // Before the call: an IPAM that failed or ran out of time may still have taken an address.
  undo.push(() => world.ipam.del(req));
  const ipam = await plan.ipamAdd();
  const ips = ipam.ips ?? [];
  const gateways = gatewaysOf(ips);
  const routes = effectiveRoutes(ipam.routes, gateways);
  checkIpamAddresses(ips);
  checkRouteGateways(routes, ips);
  checkMtuFits(config.mtu, gateways);

  const bridge = await ensureBridge(world, host, config, backend, gateways);
  if (bridge.created) {
    undo.push(async () => {
      await removeBridgeIfUnused(world, host, config);
      if (backend === 'networkd') await world.networkd.removeFiles(config.zone, config.networkDir);
    });
  }

  const dnsOn = config.dns;
  const owner = { network: req.conf.name, containerId: req.env.containerId, ifname };
  if (dnsOn !== false) {
    // Registered before the veth's: undone after it, when the zone may have no member left.
    undo.push(() => stopServerIfEmpty(world, config, dnsOn.stateDir));
    if (plan.names.length > 0) {
      undo.push(() => world.dns.removeNames(config.zone, dnsOn.stateDir, owner));
      await world.dns.setNames(config.zone, dnsOn.stateDir, owner, plan.names, nameAddresses(ips));
    }
  }

  const hostEnd = await createVeth(a, bridge.link.index, mtu);
  // On the bridge now: a DEL of another member cannot find the zone empty and stop the server.
  if (dnsOn !== false) await ensureServer(world, zoneDnsServer(config, dnsOn, gateways));
  const installed = await configureContainer(a.ns, container, { ifname, ips, routes, ipv6Dad: config.ipv6Dad });

  const containerLink = await container.getLink(ifname);
  // An adopted bridge without a fixed MAC takes its lowest port's: read it after the join.
  const bridgeNow = (await host.getLinkByIndex(bridge.link.index)) ?? bridge.link;
  const interfaces: Interface[] = [
    linkInterface(bridgeNow.name, bridgeNow.mac),
    linkInterface(hostEnd.name, hostEnd.mac),
    { ...linkInterface(ifname, containerLink?.mac), sandbox: req.env.netns, ...(containerLink?.mtu && { mtu: containerLink.mtu }) },
  ];
  const result: Result = {
    cniVersion: req.conf.cniVersion,
    interfaces,
    ips: ips.map((ip) => ({ ...ip, interface: 2 })),
    routes: installed,
  };
  const theirs = ipam.dns ?? configuredDns(req.conf);
  const dns = dnsOn === false ? theirs : resultDns(config, dnsOn, gateways, theirs);
  if (dns && Object.keys(dns).length > 0) result.dns = dns;
  // capability portMappings: published in-process, the same engine as the zone-ports plugin
  if (plan.ports) {
    undo.push(() => world.ports.del(req));
    await world.ports.add(req, result);
  }
  // Isolation from other zones, and masquerade where it is ours (networkd masquerades by itself,
  // IPMasquerade=), in one transaction; a bridge this ADD made takes them along when undone.
  const masquerade = backend === 'netlink' && config.ipMasq ? gateways.map(subnetOf) : undefined;
  undo.push(await ensureZoneRules(world, config, masquerade));
  await enableForwarding(
    world,
    gateways.map((g) => g.family),
  );
  return result;
}

/** The veth pair, its container end made straight in the container's namespace, its host end on the bridge. */
async function createVeth(a: Attaching, bridgeIndex: number, mtu: number | undefined) {
  const { req, plan, host, undo } = a;
  const { ifname, containerId } = req.env;
  const hostName = hostVethName(containerId, ifname);
  // The name is ours for this (container, ifname): one left by a killed ADD is stale.
  await host.deleteLinkIfExists(hostName);
  const hostEnd = await host.createVeth({
    name: hostName,
    peerName: ifname,
    peerNetns: a.ns.target,
    alias: attachmentAlias(req.conf.name, containerId, ifname),
    ...(mtu !== undefined && { mtu }),
    ...(plan.mac !== undefined && { peerMac: plan.mac }),
  });
  undo.push(() => host.deleteLinkIfExists(hostName));
  await host.setMaster(hostEnd, bridgeIndex);
  if (plan.config.hairpin) await host.setHairpin(hostEnd, true);
  await host.setUp(hostEnd);
  return hostEnd;
}

const FORWARDING = { 4: 'net.ipv4.ip_forward', 6: 'net.ipv6.conf.all.forwarding' } as const;

/**
 * Forwarding on the host side, only for the families a zone uses and only when it is off:
 * writing a sysctl that already holds the value would still be a change to audit for nothing.
 * All or nothing: when one family cannot be switched on, the ones this call switched go off again.
 */
export async function enableForwarding(world: ZoneWorld, families: Iterable<4 | 6>): Promise<void> {
  const switched: string[] = [];
  try {
    for (const family of new Set(families)) {
      const key = FORWARDING[family];
      if ((await world.readSysctl(key)) === '1') continue;
      await world.writeSysctl(key, 1);
      switched.push(key);
    }
  } catch (e) {
    for (const key of switched) await world.writeSysctl(key, 0).catch(() => undefined);
    throw e;
  }
}

function linkInterface(name: string, mac: string | undefined): Interface {
  return mac ? { name, mac } : { name };
}
