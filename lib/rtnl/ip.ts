// IP addresses and prefixes as the bytes rtnetlink carries, and back to text (RFC 5952 form
// for IPv6, as `ip` prints them), so results compare equal to what a CNI result holds.

import { parseAddress } from '../ipam/address.js';
import { invalidArgument } from './errors.js';

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly bytes: Buffer;
  /** Canonical text. */
  readonly text: string;
}

export interface IpPrefix extends IpAddress {
  readonly prefixLength: number;
  /** `text/prefixLength`. */
  readonly cidr: string;
}

export const AF_INET = 2;
export const AF_INET6 = 10;

export function addressFamily(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

export function ipFamilyOf(af: number | undefined): IpFamily | undefined {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  return undefined;
}

/** The address's bytes, network order, from its numeric value. */
function bytesOf(value: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = length - 1; i >= 0; i -= 1, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

function formatIpv6(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes "::".
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start += 1) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length += 1;
    if (length > bestLength) [bestStart, bestLength] = [start, length];
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Text for 4 or 16 address bytes. */
export function formatIp(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes);
  if (buffer.length === 4) return [...buffer].join('.');
  if (buffer.length === 16) return formatIpv6(buffer);
  throw invalidArgument('format address', `an address has 4 or 16 bytes, not ${buffer.length}`);
}

export function parseIp(text: string): IpAddress {
  const address = parseAddress(text);
  if (!address) throw invalidArgument('parse address', `"${text}" is not an IP address`);
  const bytes = bytesOf(address.value, address.family === 4 ? 4 : 16);
  return { family: address.family, bytes, text: formatIp(bytes) };
}

/** `address/prefix`; the address keeps its host bits (10.0.0.5/24 stays 10.0.0.5). */
export function parseCidr(text: string): IpPrefix {
  const slash = text.indexOf('/');
  const prefixText = text.slice(slash + 1);
  if (slash < 0 || !/^\d{1,3}$/.test(prefixText)) throw invalidArgument('parse prefix', `"${text}" is not in CIDR notation`);
  const address = parseIp(text.slice(0, slash));
  const prefixLength = Number(prefixText);
  if (prefixLength > address.bytes.length * 8) throw invalidArgument('parse prefix', `prefix length of "${text}" is too long`);
  return { ...address, prefixLength, cidr: `${address.text}/${prefixLength}` };
}

/** The network part only (host bits cleared), as routes want their destination. */
export function networkOf(prefix: IpPrefix): IpPrefix {
  const bytes = Buffer.from(prefix.bytes);
  bytes.forEach((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix.prefixLength - i * 8));
    bytes[i] = byte & ((0xff << (8 - keep)) & 0xff);
  });
  const text = formatIp(bytes);
  return { family: prefix.family, bytes, text, prefixLength: prefix.prefixLength, cidr: `${text}/${prefix.prefixLength}` };
}

/** The IPv4 broadcast address of a prefix; undefined for /31 and /32, which have none. */
export function ipv4Broadcast(prefix: IpPrefix): Buffer | undefined {
  if (prefix.family !== 4 || prefix.prefixLength >= 31) return undefined;
  const host = prefix.prefixLength === 0 ? 0xffffffff : (0xffffffff >>> prefix.prefixLength) >>> 0;
  const out = Buffer.alloc(4);
  out.writeUInt32BE((prefix.bytes.readUInt32BE(0) | host) >>> 0, 0);
  return out;
}
