// The container's side of an attachment, inside its network namespace: IPv6 settings before
// the link comes up, addresses, link and lo up, routes.
import type { IPConfig, Route } from '../cni/types.js';
import { familyOf, stripPrefix } from '../ip/index.js';
import { interfaceSysctl, type SysctlKey } from '../netns/sysctl.js';
import { isRtnlExists } from '../rtnl/errors.js';
import type { Gateway } from './plan.js';
import type { ContainerNamespace, Links } from './world.js';

export interface ContainerSetup {
  ifname: string;
  ips: readonly IPConfig[];
  routes: readonly Route[];
  ipv6Dad: boolean;
}

const isV6 = (cidr: string) => familyOf(stripPrefix(cidr)) === 6;

/**
 * Routes to install: IPAM's, with the gateway of the matching family filled in where IPAM
 * gave none; without any IPAM route, a default route per family through its gateway.
 */
export function effectiveRoutes(ipamRoutes: readonly Route[] | undefined, gateways: readonly Gateway[]): Route[] {
  const gatewayFor = (dst: string) => gateways.find((g) => (g.family === 6) === isV6(dst))?.address;
  if (ipamRoutes && ipamRoutes.length > 0) {
    return ipamRoutes.map((r) => {
      const gw = r.gw ?? gatewayFor(r.dst);
      return gw ? { ...r, gw } : { ...r };
    });
  }
  return gateways.map((g) => ({ dst: g.family === 6 ? '::/0' : '0.0.0.0/0', gw: g.address }));
}

/**
 * RAs from the zone (networkd announces prefixes to nspawn machines) must not add SLAAC
 * addresses or routes next to the ones IPAM assigned; DAD is off unless asked for, since a
 * container's address is unique by allocation and DAD delays it by seconds.
 */
function ipv6Sysctls(ifname: string, dad: boolean): [SysctlKey, number][] {
  return [
    [interfaceSysctl('ipv6', ifname, 'accept_ra'), 0],
    [interfaceSysctl('ipv6', ifname, 'autoconf'), 0],
    [interfaceSysctl('ipv6', ifname, 'accept_dad'), dad ? 1 : 0],
  ];
}

/** Configure the interface; returns the routes it installed (the result lists no others, or CHECK would miss them). */
export async function configureContainer(ns: ContainerNamespace, rt: Links, setup: ContainerSetup): Promise<Route[]> {
  const { ifname } = setup;
  if (setup.ips.some((ip) => isV6(ip.address))) await ns.writeSysctls(ipv6Sysctls(ifname, setup.ipv6Dad));
  for (const ip of setup.ips) {
    await rt.addAddress(ifname, ip.address, { noDad: isV6(ip.address) && !setup.ipv6Dad });
  }
  await rt.setUp(ifname);
  await rt.setUp('lo');
  const installed: Route[] = [];
  for (const route of setup.routes) if (await addRouteUnlessPresent(rt, ifname, route)) installed.push(route);
  return installed;
}

/**
 * A second interface in the same namespace (e.g. eth1 on another zone) brings the same
 * default route again: the one already there stays, as the container's first path. (A route
 * through the interface just made cannot exist before it, so EEXIST means another's.)
 */
async function addRouteUnlessPresent(rt: Links, ifname: string, route: Route): Promise<boolean> {
  try {
    await rt.addRoute({
      dst: route.dst,
      dev: ifname,
      ...(route.gw !== undefined && { gw: route.gw }),
      ...(route.mtu !== undefined && { mtu: route.mtu }),
      ...(route.advmss !== undefined && { advmss: route.advmss }),
      ...(route.priority !== undefined && { metric: route.priority }),
      ...(route.table !== undefined && { table: route.table }),
    });
    return true;
  } catch (e) {
    if (!isRtnlExists(e)) throw e;
    return false;
  }
}
