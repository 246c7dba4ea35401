// IP addresses as a family and a BigInt value, for v4 and v6 alike: parsing, text, family,
// comparison and arithmetic. Text matches Go's net.IP.String() (RFC 5952 for v6; a v4-mapped
// address printed dotted), because host-local names its store files that way, the reference
// plugins print results that way, and every module here must agree on every address's text.
//
// Own code, not the `ip-address` package and not node:net: in the compiled executable,
// importing ip-address 10.7 and parsing ten addresses takes a median ~3 ms of a plugin start,
// this module ~0.6 ms (the rule was: adopt it at ≤ 2 ms more); node:net's isIP compiles
// regexes on its first call, ~10 ms per process.

/** 4 or 6, as CNI results' `version` field and the kernel's families name them. */
export type IpFamily = 4 | 6;

export interface Address {
  readonly family: IpFamily;
  readonly value: bigint;
}

const V4_MAPPED_PREFIX = 0xffffn;

/** 32 or 128. */
export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** The family of an address or `address/prefix` text; undefined when it is neither. */
export function familyOf(text: string): IpFamily | undefined {
  const slash = text.indexOf('/');
  return parseAddress(slash < 0 ? text : text.slice(0, slash))?.family;
}

/** Parse a bare address (no prefix, no zone), as Go and node:net accept it; undefined when it is not one. */
export function parseAddress(text: string): Address | undefined {
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

/** An IPv6 address of the form ::ffff:a.b.c.d. */
export function isV4Mapped(address: Address): boolean {
  return address.family === 6 && address.value >> 32n === V4_MAPPED_PREFIX;
}

/**
 * Why `address` cannot be one host's own unicast address on a network (unspecified, loopback,
 * link-local, multicast, the IPv4 broadcast), or undefined when it can.
 */
export function unicastProblem(address: Address): string | undefined {
  const v = address.value;
  if (address.family === 4) {
    if (v === 0n) return 'the unspecified address';
    if (v >> 24n === 127n) return 'a loopback address';
    if (v >> 16n === 0xa9fen) return 'a link-local address';
    if (v >> 28n === 0xen) return 'a multicast address';
    if (v === 0xffffffffn) return 'the broadcast address';
    return undefined;
  }
  if (v === 0n) return 'the unspecified address';
  if (v === 1n) return 'a loopback address';
  if (v >> 118n === 0x3fan) return 'a link-local address';
  if (v >> 120n === 0xffn) return 'a multicast address';
  return undefined;
}

/** Text exactly as Go prints it (RFC 5952; v4-mapped dotted), so file names and results agree with the reference plugins'. */
export function formatAddress(address: Address): string {
  if (address.family === 4) return formatV4(address.value);
  if (isV4Mapped(address)) return formatV4(address.value & 0xffffffffn);
  return formatV6(address.value);
}

function formatV4(value: bigint): string {
  const n = Number(value);
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
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

/** The canonical text of an address text; undefined when it is not an address. */
export function canonicalAddress(text: string): string | undefined {
  const address = parseAddress(text);
  return address && formatAddress(address);
}

/** `10.0.0.1:80`, `[fd00::1]:80`: an address and a port as URLs and socket listings write them. */
export function formatHostPort(address: string, port: number | string): string {
  return familyOf(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function offset(address: Address, delta: bigint): Address {
  return { family: address.family, value: address.value + delta };
}

export function sameAddress(a: Address, b: Address | undefined): boolean {
  return b !== undefined && a.family === b.family && a.value === b.value;
}

/** IPv4 before IPv6, then by value. */
export function compareAddresses(a: Address, b: Address): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}
