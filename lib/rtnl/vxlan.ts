// VXLAN devices: the create request of `ip link add NAME type vxlan id VNI local ADDR dstport
// PORT` (no underlay device, no multicast group: peers are reached through all-zeros FDB
// entries, fdb.ts) and what the kernel says of an existing one, so a caller can tell whether
// it is the device it would make. The identity (VNI, local address, port) of a VXLAN device
// cannot change: a different one means a new device.

import {
  addressAttribute,
  attribute,
  decodeAttributes,
  decodeInterfaceInfoHeader,
  findAddress,
  findAttribute,
  findString,
  findU32,
  INTERFACE_INFO_LENGTH,
  interfaceInfoHeader,
  nestedAttribute,
  stringAttribute,
  u32Attribute,
  u8Attribute,
} from './attributes.js';
import { addressArgument, invalidArgument, isRtnlNotFound } from './errors.js';
import { createLink, getLinkRequest, type Link, RTM_NEWLINK } from './links.js';
import { NLM_F_CREATE, NLM_F_EXCL, type RtRequest } from './netlink.js';
import type { RtSocket } from './socket.js';

// linux/if_link.h
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_VXLAN_ID = 1;
const IFLA_VXLAN_LOCAL = 4;
const IFLA_VXLAN_LEARNING = 7;
const IFLA_VXLAN_PORT = 15;
const IFLA_VXLAN_LOCAL6 = 17;
const MAX_VNI = 0xffffff;

export interface VxlanOptions {
  name: string;
  vni: number;
  /** This host's underlay address. */
  local: string;
  port: number;
  mtu?: number;
}

/** What identifies a VXLAN device; `local` in canonical text. */
export interface VxlanIdentity {
  vni: number;
  local: string | undefined;
  port: number;
}

/** The port travels in network byte order (NLA_BE16), unlike every other number here. */
function portAttribute(port: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(port, 0);
  return attribute(IFLA_VXLAN_PORT, payload);
}

/** A new VXLAN device (down); EEXIST when the name is taken. */
export function createVxlan(socket: RtSocket, options: VxlanOptions): Promise<Link> {
  return createLink(socket, `create vxlan ${options.name}`, options.name, vxlanRequest(options));
}

function vxlanRequest(options: VxlanOptions): RtRequest {
  const operation = `create vxlan ${options.name}`;
  if (!Number.isInteger(options.vni) || options.vni < 0 || options.vni > MAX_VNI) {
    throw invalidArgument(operation, `VNI ${options.vni} is outside 0-${MAX_VNI}`);
  }
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
    throw invalidArgument(operation, `port ${options.port} is outside 1-65535`);
  }
  const local = addressArgument(operation, options.local);
  const data = nestedAttribute(IFLA_INFO_DATA, [
    u32Attribute(IFLA_VXLAN_ID, options.vni),
    addressAttribute(local.family === 4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, local),
    // Learn remote MACs from what arrives: unicast then goes to the one host that has the MAC.
    u8Attribute(IFLA_VXLAN_LEARNING, 1),
    portAttribute(options.port),
  ]);
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    body: Buffer.concat([
      interfaceInfoHeader(),
      ...(options.mtu === undefined ? [] : [u32Attribute(IFLA_MTU, options.mtu)]),
      stringAttribute(IFLA_IFNAME, options.name),
      nestedAttribute(IFLA_LINKINFO, [attribute(IFLA_INFO_KIND, Buffer.from('vxlan', 'utf8')), data]),
    ]),
  };
}

/** The identity in a link message's body, or undefined when the link is no VXLAN device. */
function parseVxlanIdentity(body: Buffer): VxlanIdentity | undefined {
  if (!decodeInterfaceInfoHeader(body)) return undefined;
  const linkinfo = findAttribute(decodeAttributes(body.subarray(INTERFACE_INFO_LENGTH)), IFLA_LINKINFO);
  if (linkinfo === undefined) return undefined;
  const info = decodeAttributes(linkinfo);
  const data = findAttribute(info, IFLA_INFO_DATA);
  if (findString(info, IFLA_INFO_KIND) !== 'vxlan' || data === undefined) return undefined;
  const attributes = decodeAttributes(data);
  const port = findAttribute(attributes, IFLA_VXLAN_PORT);
  return {
    vni: findU32(attributes, IFLA_VXLAN_ID) ?? 0,
    local: findAddress(attributes, IFLA_VXLAN_LOCAL) ?? findAddress(attributes, IFLA_VXLAN_LOCAL6),
    port: port !== undefined && port.length >= 2 ? port.readUInt16BE(0) : 0,
  };
}

/** The identity of the VXLAN device `name`; undefined when there is no such link or it is no VXLAN device. */
export function readVxlanIdentity(socket: RtSocket, name: string): VxlanIdentity | undefined {
  try {
    const reply = socket.exchange(`get link ${name}`, getLinkRequest(name)).find((m) => m.type === RTM_NEWLINK);
    return reply ? parseVxlanIdentity(reply.body) : undefined;
  } catch (e) {
    if (isRtnlNotFound(e)) return undefined;
    throw e;
  }
}
