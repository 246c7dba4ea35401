// ADD: put a container on its zone. IPAM first (the bridge's addresses come from its
// gateways), then the bridge, the veth pair straight into the container's namespace, the
// container side, forwarding. Every step that made something registers its undo; any error
// runs them in reverse, so a failed ADD leaves nothing behind.
import type { Request } from '../cni/dispatch.js';
import { asCniError, CniError } from '../cni/errors.js';
import type { Interface, Result } from '../cni/types.js';
import { openNetns, type NetnsHandle } from '../netns/open.js';
import { Rtnl } from '../rtnl/client.js';
import { removeZoneFiles } from '../networkd/files.js';
import { resolveBackend } from './backend.js';
import { ensureBridge, removeBridgeIfUnused } from './bridge.js';
import { loadZoneConfig, type ZoneConfig } from './config.js';
import { configureContainer, effectiveRoutes } from './container.js';
import { ZoneErrorCode } from './errors.js';
import { enableForwarding } from './forwarding.js';
import { checkMtuFits, gatewaysOf } from './gateways.js';
import { runIpamAdd, runIpamDel } from './ipam.js';
import { portsAdd, portsDel, wantsPorts } from '../ports/commands.js';
import { requestedMac } from './mac.js';
import { attachmentAlias, hostVethName } from './names.js';

type Undo = () => Promise<unknown>;

export async function attach(req: Request): Promise<Result> {
  const config = loadZoneConfig(req.conf);
  const mac = requestedMac(req);
  const netns = openNetns(req.env.netns);
  const host = await Rtnl.open();
  const container = await Rtnl.open(netns);
  const undo: Undo[] = [];
  try {
    return await attachSteps(req, config, mac, netns, host, container, undo);
  } catch (e) {
    const failures = await rollBack(undo);
    throw failures.length ? withRollbackFailures(asCniError(e), failures) : e;
  } finally {
    container.close();
    host.close();
    netns.close();
  }
}

async function attachSteps(
  req: Request,
  config: ZoneConfig,
  mac: string | undefined,
  netns: NetnsHandle,
  host: Rtnl,
  container: Rtnl,
  undo: Undo[],
): Promise<Result> {
  const { ifname, containerId } = req.env;
  if (await container.getLink(ifname)) {
    throw new CniError(ZoneErrorCode.InterfaceExists, `interface ${ifname} already exists in ${req.env.netns}`, 'choose another CNI_IFNAME or DEL the earlier attachment');
  }
  const backend = await resolveBackend(config.backend);

  const ipam = await runIpamAdd(req);
  undo.push(() => runIpamDel(req));
  const ips = ipam.ips ?? [];
  const gateways = gatewaysOf(ips);
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

  const routes = await configureContainer(container, netns, { ifname, ips, routes: effectiveRoutes(ipam.routes, gateways), ipv6Dad: config.ipv6Dad });
  await enableForwarding(gateways.map((g) => g.family));

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
    routes,
  };
  const dns = ipam.dns ?? (req.conf.dns as Result['dns']);
  if (dns && Object.keys(dns).length > 0) result.dns = dns;
  // capability portMappings: published in-process, the same engine as the zone-ports plugin
  if (wantsPorts(req)) {
    undo.push(() => portsDel(req));
    await portsAdd(req, result);
  }
  return result;
}

function linkInterface(name: string, mac: string | undefined): Interface {
  return mac ? { name, mac } : { name };
}

/** Run every undo in reverse, past failures; returns what failed. */
async function rollBack(undo: Undo[]): Promise<string[]> {
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
