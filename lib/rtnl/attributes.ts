// Netlink attributes (TLVs) for what the `netlink` package leaves as raw bytes: IFLA_LINKINFO
// and what nests in it (the link kind, veth's peer, bridge-port settings). Like every netlink
// structure they are in host byte order, with each attribute padded to 4 bytes.

import { endianness } from 'node:os';

const littleEndian = endianness() === 'LE';
const headerLength = 4;
// Type bits 14 and 15 are flags (NLA_F_NET_BYTEORDER, NLA_F_NESTED), not part of the type.
const typeMask = 0x3fff;

export interface RawAttribute {
  readonly type: number;
  readonly data: Buffer;
}

function align4(length: number): number {
  return (length + 3) & ~3;
}

export function writeU16(buffer: Buffer, value: number, offset: number): void {
  if (littleEndian) buffer.writeUInt16LE(value, offset);
  else buffer.writeUInt16BE(value, offset);
}

export function writeU32(buffer: Buffer, value: number, offset: number): void {
  if (littleEndian) buffer.writeUInt32LE(value, offset);
  else buffer.writeUInt32BE(value, offset);
}

function readU16(buffer: Buffer, offset: number): number {
  return littleEndian ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
}

export function readU32(buffer: Buffer, offset = 0): number {
  return littleEndian ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
}

/** One attribute: header, payload, zero padding to 4 bytes. */
export function attribute(type: number, payload: Buffer): Buffer {
  const length = headerLength + payload.length;
  const out = Buffer.alloc(align4(length));
  writeU16(out, length, 0);
  writeU16(out, type, 2);
  payload.copy(out, headerLength);
  return out;
}

export function nestedAttribute(type: number, children: readonly Buffer[]): Buffer {
  return attribute(type, Buffer.concat(children));
}

export function u8Attribute(type: number, value: number): Buffer {
  return attribute(type, Buffer.from([value]));
}

export function u32Attribute(type: number, value: number): Buffer {
  const payload = Buffer.alloc(4);
  writeU32(payload, value, 0);
  return attribute(type, payload);
}

/** A NUL-terminated string, as the kernel's NLA_STRING/NLA_NUL_STRING policies accept. */
export function stringAttribute(type: number, value: string): Buffer {
  return attribute(type, Buffer.from(`${value}\0`, 'utf8'));
}

/** The attributes in `buffer`, in order; a truncated tail is ignored. */
export function decodeAttributes(buffer: Buffer): RawAttribute[] {
  const out: RawAttribute[] = [];
  let offset = 0;
  while (offset + headerLength <= buffer.length) {
    const length = readU16(buffer, offset);
    if (length < headerLength || offset + length > buffer.length) break;
    out.push({ type: readU16(buffer, offset + 2) & typeMask, data: buffer.subarray(offset + headerLength, offset + length) });
    offset += align4(length);
  }
  return out;
}

export function findAttribute(attributes: readonly RawAttribute[], type: number): Buffer | undefined {
  return attributes.find((a) => a.type === type)?.data;
}

export function decodeString(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString('utf8', 0, end < 0 ? data.length : end);
}

export interface InterfaceInfoHeader {
  family?: number;
  /** ARPHRD_* */
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}

/** struct ifinfomsg (16 bytes): what VETH_INFO_PEER carries ahead of the peer's attributes. */
export function interfaceInfoHeader(header: InterfaceInfoHeader = {}): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt8(header.family ?? 0, 0);
  writeU16(out, header.type ?? 0, 2);
  writeU32(out, (header.index ?? 0) >>> 0, 4);
  writeU32(out, (header.flags ?? 0) >>> 0, 8);
  writeU32(out, (header.change ?? 0) >>> 0, 12);
  return out;
}
