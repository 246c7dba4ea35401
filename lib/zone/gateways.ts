// The bridge's own addresses, derived from what IPAM handed out: each range's gateway with
// the prefix length of its subnet (10.89.0.1/24). Containers route through them.
import { CniError, ErrorCode } from '../cni/errors.js';
import type { IPConfig } from '../cni/types.js';
import { formatSubnet, networkOf, parseAddress, parseCidr } from '../ipam/address.js';
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

/** The smallest MTU IPv6 runs on (RFC 8200); below it the kernel drops IPv6 from a link. */
export const IPV6_MIN_MTU = 1280;

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
  return formatSubnet({ network: networkOf(parsed.address, parsed.prefix), prefix: parsed.prefix });
}

export function isGatewayAddress(present: LinkAddress, gateway: Gateway): boolean {
  return present.prefixLength === gateway.prefix && normalize(present.address) === normalize(gateway.address);
}

function normalize(address: string): string {
  const parsed = parseCidr(`${address}/${address.includes(':') ? 128 : 32}`);
  return parsed ? formatSubnet({ network: parsed.address, prefix: parsed.prefix }) : address;
}
