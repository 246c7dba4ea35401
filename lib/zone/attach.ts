// ADD: put a container on its zone. First everything that can be checked without changing
// anything (config, MAC, IPAM config, port mappings, CNI_NETNS); then IPAM (the bridge's
// addresses come from its gateways), the bridge, the veth pair straight into the container's
// namespace, the container side, ports, masquerade, forwarding. Every step that made something
// registers its undo; any error runs them in reverse, so a failed ADD leaves nothing behind.
// nft and sysctls come last: the steps that fail most often fail before our table or
// ip_forward were ever touched.
import type { Request } from '../cni/dispatch.js';
import { asCniError, CniError } from '../cni/errors.js';
import type { Interface, Result } from '../cni/types.js';
import type { NetnsHandle } from '../netns/open.js';
import { Rtnl } from '../rtnl/client.js';
import { removeZoneFiles } from '../networkd/files.js';
import { spendReserve } from '../system/budget.js';
import { resolveBackend } from './backend.js';
import { ensureBridge, removeBridgeIfUnused, withZoneLock } from './bridge.js';
import { loadZoneConfig, type ZoneConfig } from './config.js';
import { configureContainer, effectiveRoutes, openContainerNamespace } from './container.js';
import { ZoneErrorCode } from './errors.js';
import { enableForwarding } from './forwarding.js';
import { checkIpamAddresses, checkMtuFits, checkRouteGateways, gatewaysOf, subnetOf } from './gateways.js';
import { prepareIpamAdd, runIpamDel } from './ipam.js';
import { ensureMasquerade } from './masquerade.js';
import { portsAdd, portsDel, portsRequest, wantsPorts } from '../ports/commands.js';
import { requestedMac } from './mac.js';
import { attachmentAlias, hostVethName } from './names.js';

type Undo = () => Promise<unknown>;

/** What an ADD works from, every part of it checked before the first change. */
export interface AttachPlan {
  config: ZoneConfig;
  mac: string | undefined;
  ipamAdd: () => Promise<Result>;
  ports: boolean;
}

export function planAttach(req: Request): AttachPlan {
  const config = loadZoneConfig(req.conf);
  const mac = requestedMac(req);
  const ipamAdd = prepareIpamAdd(req);
  const ports = wantsPorts(req);
  // Parsed here for its errors only: the mappings and the ports configuration are used at the end.
  if (ports) portsRequest(req);
  return { config, mac, ipamAdd, ports };
}

export async function attach(req: Request): Promise<Result> {
  const plan = planAttach(req);
  const netns = openContainerNamespace(req.env.netns);
  const undo: Undo[] = [];
  let host: Rtnl | undefined;
  let container: Rtnl | undefined;
  try {
    host = await Rtnl.open();
    container = await Rtnl.open(netns);
    return await attachSteps(req, plan, netns, host, container, undo);
  } catch (e) {
    const failures = await rollBack(undo);
    throw failures.length ? withRollbackFailures(asCniError(e), failures) : e;
  } finally {
    container?.close();
    host?.close();
    netns.close();
  }
}

async function attachSteps(req: Request, plan: AttachPlan, netns: NetnsHandle, host: Rtnl, container: Rtnl, undo: Undo[]): Promise<Result> {
  const { ifname, containerId } = req.env;
  const { config, mac } = plan;
  if (await container.getLink(ifname)) {
    throw new CniError(ZoneErrorCode.InterfaceExists, `interface ${ifname} already exists in ${req.env.netns}`, 'choose another CNI_IFNAME or DEL the earlier attachment');
  }
  const backend = await resolveBackend(config.backend);

  // Before the call: an IPAM that failed or ran out of time may still have taken an address.
  undo.push(() => runIpamDel(req));
  const ipam = await plan.ipamAdd();
  const ips = ipam.ips ?? [];
  const gateways = gatewaysOf(ips);
  const routes = effectiveRoutes(ipam.routes, gateways);
  checkIpamAddresses(ips);
  checkRouteGateways(routes, ips);
  checkMtuFits(config.mtu, gateways);

  const bridge = await ensureBridge(host, config, backend, gateways);
  if (bridge.created) {
    undo.push(async () => {
      await removeBridgeIfUnused(host, config);
      if (backend === 'networkd') await removeZoneFiles(config.zone, config.networkDir);
    });
  }

  const hostName = hostVethName(containerId, ifname);
  // The name is ours for this (container, ifname): one left by a killed ADD is stale.
  await host.deleteLinkIfExists(hostName);
  const hostEnd = await host.createVeth({
    name: hostName,
    peerName: ifname,
    peerNetns: netns,
    alias: attachmentAlias(req.conf.name, containerId, ifname),
    ...(config.mtu !== undefined && { mtu: config.mtu }),
    ...(mac !== undefined && { peerMac: mac }),
  });
  undo.push(() => host.deleteLinkIfExists(hostName));
  await host.setMaster(hostEnd, bridge.link);
  if (config.hairpin) await host.setHairpin(hostEnd, true);
  await host.setUp(hostEnd);

  const installed = await configureContainer(container, netns, { ifname, ips, routes, ipv6Dad: config.ipv6Dad });

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
  const dns = ipam.dns ?? (req.conf.dns as Result['dns']);
  if (dns && Object.keys(dns).length > 0) result.dns = dns;
  // capability portMappings: published in-process, the same engine as the zone-ports plugin
  if (plan.ports) {
    undo.push(() => portsDel(req));
    await portsAdd(req, result);
  }
  // networkd masquerades by itself (IPMasquerade=); a bridge this ADD made takes it along when undone
  if (backend === 'netlink' && config.ipMasq) await withZoneLock(() => ensureMasquerade(config, gateways.map(subnetOf)));
  await enableForwarding(gateways.map((g) => g.family));
  return result;
}

function linkInterface(name: string, mac: string | undefined): Interface {
  return mac ? { name, mac } : { name };
}

/** Run every undo in reverse, past failures; returns what failed. */
async function rollBack(undo: Undo[]): Promise<string[]> {
  spendReserve();
  const failures: string[] = [];
  for (const step of undo.reverse()) {
    try {
      await step();
    } catch (e) {
      failures.push(`rollback step failed: ${asCniError(e).message}`);
    }
  }
  return failures;
}

/** The original error is what the runtime must see; failed undos are reported beside it. */
function withRollbackFailures(error: CniError, failures: string[]): CniError {
  return new CniError(error.code, error.message, [error.details, ...failures].filter(Boolean).join('; '));
}
