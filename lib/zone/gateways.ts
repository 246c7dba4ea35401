// The bridge's own addresses, derived from what IPAM handed out: each range's gateway with
// the prefix length of its subnet (10.89.0.1/24). Containers route through them.
import { CniError, ErrorCode } from '../cni/errors.js';
import type { IPConfig, Route } from '../cni/types.js';
import {
  type Address,
  canonicalAddress,
  formatSubnet,
  parseAddress,
  parseCidr,
  sameAddress,
  type Subnet,
  subnetContains,
  subnetOf as subnetOfCidr,
} from '../ip/index.js';
import type { Address as LinkAddress } from '../rtnl/addresses.js';

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
