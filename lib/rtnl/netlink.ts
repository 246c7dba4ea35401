// Netlink framing (linux/netlink.h): the 16-byte header in front of every message, the
// request flags, and the kernel's two control answers, NLMSG_ERROR (an ack when its errno is
// 0) and NLMSG_DONE (the end of a dump). Pure: bytes in, bytes out, in host byte order.

import { AF_NETLINK } from '../libc/index.js';
import { decodeAttributes, decodeString, findAttribute, readI32, readU16, readU32, writeU16, writeU32 } from './attributes.js';

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
/** NLM_F_ROOT | NLM_F_MATCH: every object, in as many messages as it takes. */
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

// Flags of an NLMSG_ERROR: the echoed request is only its header (NETLINK_CAP_ACK), and
// extended-ack attributes follow (NETLINK_EXT_ACK).
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;

const headerLength = 16;

/** One request as the family modules build it; the socket adds the header and sequence number. */
export interface RtRequest {
  /** RTM_* */
  readonly type: number;
  /** NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_DUMP; REQUEST and ACK are implied. */
  readonly flags: number;
  /** The family header (ifinfomsg, ifaddrmsg, rtmsg) and its attributes. */
  readonly body: Buffer;
}

/** One message of the kernel's answer. */
export interface RtMessage {
  readonly type: number;
  readonly flags: number;
  readonly body: Buffer;
}

export interface NetlinkMessage extends RtMessage {
  readonly seq: number;
}

/** What an NLMSG_ERROR or NLMSG_DONE says: errno 0 is success. */
export interface KernelStatus {
  /** Positive, as errno is. */
  readonly errno: number;
  /** The kernel's extended-ack text, when it gave one. */
  readonly extAck: string | undefined;
}

function align4(length: number): number {
  return (length + 3) & ~3;
}

export function isDump(request: RtRequest): boolean {
  return (request.flags & NLM_F_DUMP) === NLM_F_DUMP;
}

/** A dump ends with NLMSG_DONE; anything else is acknowledged, so every request has an end. */
export function encodeRequest(request: RtRequest, seq: number): Buffer {
  const out = Buffer.alloc(headerLength + request.body.length);
  const flags = NLM_F_REQUEST | (isDump(request) ? 0 : NLM_F_ACK) | request.flags;
  writeU32(out, out.length, 0);
  writeU16(out, request.type, 4);
  writeU16(out, flags, 6);
  writeU32(out, seq >>> 0, 8);
  // nlmsg_pid 0: addressed to the kernel.
  request.body.copy(out, headerLength);
  return out;
}

/** The messages of one datagram; a malformed tail is dropped. */
export function decodeMessages(datagram: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let offset = 0;
  while (offset + headerLength <= datagram.length) {
    const length = readU32(datagram, offset);
    if (length < headerLength || offset + length > datagram.length) break;
    out.push({
      type: readU16(datagram, offset + 4),
      flags: readU16(datagram, offset + 6),
      seq: readU32(datagram, offset + 8),
      body: datagram.subarray(offset + headerLength, offset + length),
    });
    offset += align4(length);
  }
  return out;
}

function extAckText(attributes: Buffer): string | undefined {
  const text = findAttribute(decodeAttributes(attributes), NLMSGERR_ATTR_MSG);
  return text && decodeString(text);
}

/** Where the extended-ack attributes start in an NLMSG_ERROR body: after errno and the echoed request. */
function errorAttributesOffset(message: RtMessage): number {
  if (message.flags & NLM_F_CAPPED || message.body.length < 4 + headerLength) return 4 + headerLength;
  return 4 + align4(readU32(message.body, 4));
}

/** The errno (and extended ack) of an NLMSG_ERROR or NLMSG_DONE. */
export function decodeStatus(message: RtMessage): KernelStatus {
  if (message.body.length < 4) return { errno: 0, extAck: undefined };
  // The kernel sends -errno.
  const errno = Math.abs(readI32(message.body, 0));
  if (!(message.flags & NLM_F_ACK_TLVS)) return { errno, extAck: undefined };
  const offset = message.type === NLMSG_ERROR ? errorAttributesOffset(message) : 4;
  return { errno, extAck: extAckText(message.body.subarray(offset)) };
}

/** struct sockaddr_nl for bind(2) with port id 0: the kernel picks ours. */
export function kernelAssignedAddress(): Buffer {
  const address = Buffer.alloc(12);
  writeU16(address, AF_NETLINK, 0);
  return address;
}

/** struct timeval on 64-bit Linux (tv_sec, tv_usec), in host byte order like every socket option. */
export function timeval(ms: number): Buffer {
  return Buffer.from(new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1000)]).buffer);
}
