// Addresses as the kernel carries them: network-order bytes (4 or 16) and the address family
// numbers of <linux/socket.h>, for rtnetlink and ctnetlink.
import type { Address, IpFamily } from './address.js';

const AF_INET = 2;
const AF_INET6 = 10;

export function afOf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** 4 or 6 for AF_INET or AF_INET6; undefined for any other family. */
export function familyOfAf(af: number | undefined): IpFamily | undefined {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  return undefined;
}

/** The address's bytes in network order: 4 for IPv4, 16 for IPv6. */
export function addressBytes(address: Address): Buffer {
  const out = Buffer.alloc(address.family === 4 ? 4 : 16);
  let value = address.value;
  for (let i = out.length - 1; i >= 0; i -= 1, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

/** 4 bytes are an IPv4 address, 16 an IPv6 one; undefined for any other length. */
export function addressFromBytes(bytes: Uint8Array): Address | undefined {
  if (bytes.length !== 4 && bytes.length !== 16) return undefined;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return { family: bytes.length === 4 ? 4 : 6, value };
}
