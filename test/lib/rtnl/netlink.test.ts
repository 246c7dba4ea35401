import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { stringAttribute } from '../../../lib/rtnl/attributes.js';
import {
  decodeMessages,
  decodeStatus,
  encodeRequest,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLMSG_DONE,
  NLMSG_ERROR,
} from '../../../lib/rtnl/netlink.js';
import { frame, statusBody } from './netlink-frames.js';

// The expected bytes below are little-endian; netlink uses host order.
const le = endianness() === 'LE';

describe('encodeRequest', () => {
  it.runIf(le)('writes length, type, REQUEST|ACK and the extra flags, the sequence number and port 0', () => {
    const bytes = encodeRequest({ type: 16, flags: NLM_F_CREATE | NLM_F_EXCL, body: Buffer.from([1, 2, 3, 4]) }, 0x01020304);
    expect([...bytes]).toEqual([20, 0, 0, 0, 16, 0, 0x05, 0x06, 4, 3, 2, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
  });

  it('asks no ack of a dump, which ends with NLMSG_DONE instead', () => {
    const [message] = decodeMessages(encodeRequest({ type: 18, flags: NLM_F_DUMP, body: Buffer.alloc(16) }, 7));
    expect(message).toMatchObject({ type: 18, flags: 0x301, seq: 7 });
    expect(message?.body).toHaveLength(16);
  });
});

describe('decodeMessages', () => {
  it('splits a datagram into messages, each padded to 4 bytes', () => {
    const datagram = Buffer.concat([frame(16, 2, 5, Buffer.from('abcde')), frame(NLMSG_DONE, 2, 5, statusBody(0))]);
    const messages = decodeMessages(datagram);
    expect(messages.map((m) => [m.type, m.flags, m.seq, m.body.length])).toEqual([
      [16, 2, 5, 5],
      [NLMSG_DONE, 2, 5, 4],
    ]);
    expect(messages[0]?.body.toString()).toBe('abcde');
  });

  it('drops a truncated or malformed tail', () => {
    const good = frame(16, 0, 1, Buffer.alloc(4));
    expect(decodeMessages(Buffer.concat([good, good.subarray(0, 10)]))).toHaveLength(1);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(8, 0); // shorter than a header
    expect(decodeMessages(bad)).toEqual([]);
  });
});

describe('decodeStatus', () => {
  const request = encodeRequest({ type: 16, flags: 0, body: Buffer.alloc(16) }, 9);
  const NLM_F_CAPPED = 0x100;
  const NLM_F_ACK_TLVS = 0x200;
  const reason = stringAttribute(1, 'Unknown device type');

  it('reads an ack as errno 0', () => {
    expect(decodeStatus({ type: NLMSG_ERROR, flags: NLM_F_CAPPED, body: statusBody(0, request.subarray(0, 16)) })).toEqual({
      errno: 0,
      extAck: undefined,
    });
  });

  it('reads the errno and the extended-ack message after the capped request header', () => {
    const body = statusBody(-95, request.subarray(0, 16), reason);
    expect(decodeStatus({ type: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, body })).toEqual({
      errno: 95,
      extAck: 'Unknown device type',
    });
  });

  it('skips a fully echoed request when the kernel did not cap it', () => {
    const body = statusBody(-22, request, reason);
    expect(decodeStatus({ type: NLMSG_ERROR, flags: NLM_F_ACK_TLVS, body })).toEqual({ errno: 22, extAck: 'Unknown device type' });
  });

  it('reads the errno of a dump that failed, with its attributes right after it', () => {
    expect(decodeStatus({ type: NLMSG_DONE, flags: NLM_F_ACK_TLVS, body: statusBody(-16, reason) })).toEqual({
      errno: 16,
      extAck: 'Unknown device type',
    });
    expect(decodeStatus({ type: NLMSG_DONE, flags: 0, body: Buffer.alloc(0) })).toEqual({ errno: 0, extAck: undefined });
  });
});
