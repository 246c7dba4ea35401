// IP addresses and subnets as BigInt, for v4 and v6 alike. Text output matches Go's
// net.IP.String() (RFC 5952 for v6, v4-mapped printed dotted), because host-local names
// its store files that way and both plugins must agree on every file name.
// Own helpers instead of `ip-address`: a handful of functions, no import cost at start-up.

export type Family = 4 | 6;

export interface Address {
  family: Family;
  value: bigint;
}

export interface Subnet {
  /** The network address (host bits zero). */
  network: Address;
  prefix: number;
}

const V4_MAPPED_PREFIX = 0xffffn;

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** Parse a bare address (no prefix, no zone); undefined when it is not one. */
export function parseAddress(text: string): Address | undefined {
  // Own parser, not node:net's isIP: its first call compiles regexes for ~10 ms per process.
  if (text.includes(':')) {
    const value = parseV6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: 4, value };
}

const V4_OCTET = /^(0|[1-9]\d{0,2})$/;
const V6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** Dotted quad, no leading zeros (Go refuses them too: they once meant octal). */
function parseV4(text: string): bigint | undefined {
  const octets = text.split('.');
  if (octets.length !== 4) return undefined;
  let value = 0n;
  for (const octet of octets) {
    if (!V4_OCTET.test(octet) || Number(octet) > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const [head = '', tail] = halves;
  const compressed = tail !== undefined;
  const left = parseGroups(head, !compressed);
  const right = compressed ? parseGroups(tail, true) : [];
  if (!left || !right) return undefined;
  const count = left.length + right.length;
  if (compressed ? count > 7 : count !== 8) return undefined;
  let value = 0n;
  for (const group of [...left, ...new Array<number>(8 - count).fill(0), ...right]) value = (value << 16n) | BigInt(group);
  return value;
}

/** Colon-separated 16-bit groups; the last one may be a dotted quad (two groups) when `endsAddress`. */
function parseGroups(part: string, endsAddress: boolean): number[] | undefined {
  if (part === '') return [];
  const texts = part.split(':');
  const groups: number[] = [];
  for (const [i, text] of texts.entries()) {
    if (endsAddress && i === texts.length - 1 && text.includes('.')) {
      const v4 = parseV4(text);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (V6_GROUP.test(text)) {
      groups.push(parseInt(text, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** Text exactly as Go prints it, so file names agree with host-local's. */
export function formatAddress(address: Address): string {
  if (address.family === 4) return formatV4(address.value);
  if (address.value >> 32n === V4_MAPPED_PREFIX) return formatV4(address.value & 0xffffffffn);
  return formatV6(address.value);
}

function formatV4(value: bigint): string {
  const n = Number(value);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  const [start, end] = longestZeroRun(groups);
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (end - start < 2) return hex(groups);
  return `${hex(groups.slice(0, start))}::${hex(groups.slice(end))}`;
}

/** [start, end) of the first longest run of zero groups (RFC 5952 4.2.3). */
function longestZeroRun(groups: number[]): [number, number] {
  let best: [number, number] = [0, 0];
  for (let i = 0; i < groups.length; i++) {
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best[1] - best[0]) best = [i, j];
    i = j;
  }
  return best;
}

/** "10.0.0.0/24" → subnet; the address part keeps its host bits (see hasHostBits). */
export function parseCidr(text: string): { address: Address; prefix: number } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= familyBits(address.family) ? { address, prefix } : undefined;
}

/** An address given as "ip" or "ip/prefix" (the prefix is ignored), like CNI's ip.ParseIP. */
export function parseAddressOrCidr(text: string): Address | undefined {
  return text.includes('/') ? parseCidr(text)?.address : parseAddress(text);
}

function hostMask(family: Family, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

export function networkOf(address: Address, prefix: number): Address {
  return { family: address.family, value: address.value & ~hostMask(address.family, prefix) };
}

export function lastAddressOf(subnet: Subnet): Address {
  return { family: subnet.network.family, value: subnet.network.value | hostMask(subnet.network.family, subnet.prefix) };
}

export function subnetContains(subnet: Subnet, address: Address): boolean {
  return address.family === subnet.network.family && networkOf(address, subnet.prefix).value === subnet.network.value;
}

export function formatSubnet(subnet: Subnet): string {
  return `${formatAddress(subnet.network)}/${subnet.prefix}`;
}

export function offset(address: Address, delta: bigint): Address {
  return { family: address.family, value: address.value + delta };
}

export function sameAddress(a: Address, b: Address | undefined): boolean {
  return b !== undefined && a.family === b.family && a.value === b.value;
}

export function compareAddresses(a: Address, b: Address): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}
