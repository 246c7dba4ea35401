// Ranges and range sets with host-local's rules: a range is [start, end] inside a subnet,
// start defaults to network+1, end to the last address (v4: broadcast-1), the gateway to
// network+1. Unlike host-local we refuse a gateway outside the subnet and a reversed range,
// and never hand out the network or v4 broadcast address even when rangeStart/rangeEnd name them.
import {
  type Address,
  compareAddresses,
  familyBits,
  formatAddress,
  formatSubnet,
  lastAddressOf,
  networkOf,
  offset,
  parseAddress,
  parseCidr,
  sameAddress,
  type Subnet,
  subnetContains,
} from '../ip/index.js';
import { invalidConfig } from './errors.js';

/** A range as written in the config (empty strings count as absent, as in host-local). */
export interface RangeConfig {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

export interface Range {
  subnet: Subnet;
  /** First address handed out (inclusive). */
  start: Address;
  /** Last address handed out (inclusive). */
  end: Address;
  gateway: Address;
}

/** Ranges of one family; an ADD takes one address from each range set. */
export type RangeSet = Range[];

export function parseRange(config: RangeConfig, where: string): Range {
  const subnet = parseSubnet(config.subnet, where);
  const { network } = subnet;
  const last = lastAddressOf(subnet);
  const broadcast = network.family === 4 ? last : undefined;
  const gateway = optionalAddressIn(config.gateway, subnet, `${where}.gateway`) ?? offset(network, 1n);
  if (sameAddress(gateway, network) || sameAddress(gateway, broadcast)) {
    throw invalidConfig(`${where}.gateway ${formatAddress(gateway)} is the network or broadcast address of ${formatSubnet(subnet)}`);
  }
  const start = optionalAddressIn(config.rangeStart, subnet, `${where}.rangeStart`) ?? network;
  const end = optionalAddressIn(config.rangeEnd, subnet, `${where}.rangeEnd`) ?? last;
  if (compareAddresses(start, end) > 0) {
    throw invalidConfig(`${where}: rangeStart ${formatAddress(start)} is after rangeEnd ${formatAddress(end)}`);
  }
  const range = {
    subnet,
    start: sameAddress(start, network) ? offset(network, 1n) : start,
    end: sameAddress(end, broadcast) ? offset(last, -1n) : end,
    gateway,
  };
  if (compareAddresses(range.start, range.end) > 0) {
    throw invalidConfig(`${where}: range ${formatAddress(start)}-${formatAddress(end)} holds only the network or broadcast address`);
  }
  return range;
}

function parseSubnet(text: string, where: string): Subnet {
  const cidr = parseCidr(text);
  if (!cidr) throw invalidConfig(`${where}.subnet "${text}" is not a subnet in CIDR notation`);
  const bits = familyBits(cidr.address.family);
  if (cidr.prefix > bits - 2) {
    throw invalidConfig(`${where}.subnet ${text} is too small to allocate from`, `the prefix must be at most /${bits - 2}`);
  }
  const network = networkOf(cidr.address, cidr.prefix);
  if (!sameAddress(network, cidr.address)) {
    throw invalidConfig(
      `${where}.subnet ${text} has host bits set`,
      `for a prefix of /${cidr.prefix} the network address is ${formatAddress(network)}`,
    );
  }
  return { network, prefix: cidr.prefix };
}

function optionalAddressIn(text: string | undefined, subnet: Subnet, where: string): Address | undefined {
  if (text === undefined || text === '') return undefined;
  const address = parseAddress(text);
  if (!address) throw invalidConfig(`${where} "${text}" is not an IP address`);
  if (!subnetContains(subnet, address)) throw invalidConfig(`${where} ${text} is outside subnet ${formatSubnet(subnet)}`);
  return address;
}

/** `rangeWhere` names a range in messages (default `<where>[i]`). */
export function parseRangeSet(
  configs: readonly RangeConfig[],
  where: string,
  rangeWhere: (index: number) => string = (i) => `${where}[${i}]`,
): RangeSet {
  if (configs.length === 0) throw invalidConfig(`${where} is an empty range set`);
  const set = configs.map((config, i) => parseRange(config, rangeWhere(i)));
  const family = set[0]?.subnet.network.family;
  if (set.some((r) => r.subnet.network.family !== family)) throw invalidConfig(`${where} mixes IPv4 and IPv6 ranges`);
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      if (rangesOverlap(set[i]!, set[j]!)) {
        throw invalidConfig(`${where}: ranges ${formatRange(set[i]!)} and ${formatRange(set[j]!)} overlap`);
      }
    }
  }
  return set;
}

/** Refuse range sets that share addresses: one address would then belong to two allocations' sets. */
export function checkRangeSetsDisjoint(sets: readonly RangeSet[], names: readonly string[]): void {
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      if (rangeSetsOverlap(sets[i]!, sets[j]!)) throw invalidConfig(`range set ${names[i]} overlaps with ${names[j]}`);
    }
  }
}

export function rangeContains(range: Range, address: Address): boolean {
  return address.family === range.start.family && compareAddresses(address, range.start) >= 0 && compareAddresses(address, range.end) <= 0;
}

export function rangeFor(set: RangeSet, address: Address): Range | undefined {
  return set.find((range) => rangeContains(range, address));
}

/** An address ADD may hand out: inside a range and not its gateway. */
export function isAllocatable(set: RangeSet, address: Address): boolean {
  const range = rangeFor(set, address);
  return range !== undefined && !sameAddress(address, range.gateway);
}

function rangesOverlap(a: Range, b: Range): boolean {
  return a.start.family === b.start.family && compareAddresses(a.start, b.end) <= 0 && compareAddresses(b.start, a.end) <= 0;
}

function rangeSetsOverlap(a: RangeSet, b: RangeSet): boolean {
  return a.some((ra) => b.some((rb) => rangesOverlap(ra, rb)));
}

/** How many addresses the set can hand out (gateways excluded). */
export function allocatableCount(set: RangeSet): bigint {
  return set.reduce((sum, r) => sum + (r.end.value - r.start.value + 1n) - (rangeContains(r, r.gateway) ? 1n : 0n), 0n);
}

export function formatRange(range: Range): string {
  return `${formatAddress(range.start)}-${formatAddress(range.end)} of ${formatSubnet(range.subnet)}`;
}

export function formatRangeSet(set: RangeSet): string {
  return set.map(formatRange).join(',');
}
