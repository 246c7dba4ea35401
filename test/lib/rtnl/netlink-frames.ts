// Netlink messages as the kernel frames them, for tests that play the kernel's side.
import { writeU16, writeU32 } from '../../../lib/rtnl/attributes.js';

/** nlmsghdr + body, padded to 4 bytes. */
export function frame(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const length = 16 + body.length;
  const out = Buffer.alloc((length + 3) & ~3);
  writeU32(out, length, 0);
  writeU16(out, type, 4);
  writeU16(out, flags, 6);
  writeU32(out, seq, 8);
  body.copy(out, 16);
  return out;
}

/** The body of an NLMSG_ERROR or NLMSG_DONE: the (negative) errno, then whatever follows. */
export function statusBody(error: number, ...rest: Buffer[]): Buffer {
  const errno = Buffer.from(new Int32Array([error]).buffer);
  return Buffer.concat([errno, ...rest]);
}
