// Addresses with a prefix length: `10.0.0.5/24` (a Cidr: the address keeps its host bits) and
// the subnet it lies in (`10.0.0.0/24`: the network address and the prefix), containment,
// and the last address of a subnet (IPv4's broadcast address).
import { type Address, familyBits, formatAddress, type IpFamily, parseAddress } from './address.js';

/** An address and a prefix length; the address keeps its host bits (10.0.0.5/24 stays 10.0.0.5). */
export interface Cidr {
  readonly address: Address;
  readonly prefix: number;
}

export interface Subnet {
  /** The network address (host bits zero). */
  readonly network: Address;
  readonly prefix: number;
}

const PREFIX = /^\d{1,3}$/;

/** `address/prefix`; undefined when it is not one or the prefix is longer than the family's bits. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !PREFIX.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= familyBits(address.family) ? { address, prefix } : undefined;
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** An address given as "ip" or "ip/prefix" (the prefix is ignored), like CNI's ip.ParseIP. */
export function parseAddressOrCidr(text: string): Address | undefined {
  return text.includes('/') ? parseCidr(text)?.address : parseAddress(text);
}

/** The text before the `/` of `address/prefix` (all of it when there is none); not checked. */
export function stripPrefix(text: string): string {
  const slash = text.indexOf('/');
  return slash < 0 ? text : text.slice(0, slash);
}

function hostMask(family: IpFamily, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

/** The address with its host bits cleared. */
export function networkOf(address: Address, prefix: number): Address {
  return { family: address.family, value: address.value & ~hostMask(address.family, prefix) };
}

/** The subnet an address/prefix lies in: 10.0.0.5/24 → 10.0.0.0/24. */
export function subnetOf(cidr: Cidr): Subnet {
  return { network: networkOf(cidr.address, cidr.prefix), prefix: cidr.prefix };
}

/** The subnet's last address; for IPv4 below /31 its broadcast address. */
export function lastAddressOf(subnet: Subnet): Address {
  return { family: subnet.network.family, value: subnet.network.value | hostMask(subnet.network.family, subnet.prefix) };
}

export function subnetContains(subnet: Subnet, address: Address): boolean {
  return address.family === subnet.network.family && networkOf(address, subnet.prefix).value === subnet.network.value;
}

/** `10.0.0.5/24`, the address canonical. */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.address)}/${cidr.prefix}`;
}

/**
 * `10.0.0.0/24`. With `bareHost`, a subnet of one address is written without `/32` (`/128`),
 * as nft lists it.
 */
export function formatSubnet(subnet: Subnet, options: { bareHost?: boolean } = {}): string {
  const network = formatAddress(subnet.network);
  return options.bareHost && subnet.prefix === familyBits(subnet.network.family) ? network : `${network}/${subnet.prefix}`;
}
