// Netlink attributes (TLVs), the integers they carry, and struct ifinfomsg, the header of
// link messages (also nested in a veth's peer). Like every netlink structure they are in
// host byte order, with each attribute padded to 4 bytes.

import { endianness } from 'node:os';
import { type Address, addressBytes, addressFromBytes, formatAddress } from '../ip/index.js';
import { malformedAnswer } from './errors.js';

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

export function readU16(buffer: Buffer, offset: number): number {
  return littleEndian ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
}

export function readU32(buffer: Buffer, offset = 0): number {
  return littleEndian ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
}

export function readI32(buffer: Buffer, offset = 0): number {
  return littleEndian ? buffer.readInt32LE(offset) : buffer.readInt32BE(offset);
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
  writeU32(payload, value >>> 0, 0);
  return attribute(type, payload);
}

/** A signed 32-bit attribute (NLA_S32), such as a namespace id. */
export function s32Attribute(type: number, value: number): Buffer {
  const payload = Buffer.alloc(4);
  if (littleEndian) payload.writeInt32LE(value, 0);
  else payload.writeInt32BE(value, 0);
  return attribute(type, payload);
}

/** An address: its 4 or 16 bytes, network order. */
export function addressAttribute(type: number, address: Address): Buffer {
  return attribute(type, addressBytes(address));
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

export function findString(attributes: readonly RawAttribute[], type: number): string | undefined {
  const data = findAttribute(attributes, type);
  return data === undefined ? undefined : decodeString(data);
}

export function findU32(attributes: readonly RawAttribute[], type: number): number | undefined {
  const data = findAttribute(attributes, type);
  return data !== undefined && data.length >= 4 ? readU32(data) : undefined;
}

/** The canonical text of the address attribute `type`; undefined when absent. */
export function findAddress(attributes: readonly RawAttribute[], type: number): string | undefined {
  const bytes = findAttribute(attributes, type);
  if (bytes === undefined) return undefined;
  const address = addressFromBytes(bytes);
  if (!address) throw malformedAnswer('read an address', `an address has 4 or 16 bytes, not ${bytes.length}`);
  return formatAddress(address);
}

export function findI32(attributes: readonly RawAttribute[], type: number): number | undefined {
  const data = findAttribute(attributes, type);
  return data !== undefined && data.length >= 4 ? readI32(data) : undefined;
}

export interface InterfaceInfoHeader {
  family?: number;
  /** ARPHRD_* */
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}

export const INTERFACE_INFO_LENGTH = 16;

/** struct ifinfomsg (16 bytes): ahead of a link message's attributes, and of a veth peer's. */
export function interfaceInfoHeader(header: InterfaceInfoHeader = {}): Buffer {
  const out = Buffer.alloc(INTERFACE_INFO_LENGTH);
  out.writeUInt8(header.family ?? 0, 0);
  writeU16(out, header.type ?? 0, 2);
  writeU32(out, (header.index ?? 0) >>> 0, 4);
  writeU32(out, (header.flags ?? 0) >>> 0, 8);
  writeU32(out, (header.change ?? 0) >>> 0, 12);
  return out;
}

/** The header of a link message, or undefined when the body is too short for one. */
export function decodeInterfaceInfoHeader(body: Buffer): Required<InterfaceInfoHeader> | undefined {
  if (body.length < INTERFACE_INFO_LENGTH) return undefined;
  return {
    family: body.readUInt8(0),
    type: readU16(body, 2),
    index: readI32(body, 4),
    flags: readU32(body, 8),
    change: readU32(body, 12),
  };
}
