// NetlinkSocket against a scripted kernel: a fake libc whose send() decodes the request and
// queues the datagrams the script answers with, and whose recv() hands them out as the
// kernel does (MSG_TRUNC reports a datagram's full length; an empty queue is the SO_RCVTIMEO
// timeout, EAGAIN).
import { describe, expect, it } from 'vitest';
import { EAGAIN, LibcError } from '../../../lib/libc/index.js';
import { decodeString, stringAttribute } from '../../../lib/rtnl/attributes.js';
import { isRtnlExists, type RtnlError } from '../../../lib/rtnl/errors.js';
import {
  decodeMessages,
  encodeRequest,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  type NetlinkMessage,
  type RtRequest,
} from '../../../lib/rtnl/netlink.js';
import { NetlinkSocket, REQUEST_TIMEOUT_MS, type SocketLibc } from '../../../lib/rtnl/socket.js';
import { frame, statusBody } from './netlink-frames.js';

const MSG_TRUNC = 0x20;
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;

type Kernel = (request: NetlinkMessage, call: number) => Buffer[];

function fakeLibc(kernel: Kernel) {
  const queue: Buffer[] = [];
  const sent: Buffer[] = [];
  let closed = 0;
  const libc: SocketLibc = {
    socket: () => 3,
    bind: () => undefined,
    setsockopt: () => undefined,
    send(_fd, data) {
      sent.push(Buffer.from(data));
      queue.push(...kernel(decodeMessages(Buffer.from(data))[0]!, sent.length));
      return data.byteLength;
    },
    recv(_fd, buffer, flags = 0) {
      const datagram = queue.shift();
      if (datagram === undefined) throw new LibcError('recv', EAGAIN);
      buffer.set(datagram.subarray(0, buffer.byteLength));
      return flags & MSG_TRUNC ? datagram.length : Math.min(datagram.length, buffer.byteLength);
    },
    close: () => {
      closed += 1;
    },
  };
  return { libc, sent, queue, closedCount: () => closed };
}

const ack = (request: NetlinkMessage) => frame(NLMSG_ERROR, NLM_F_CAPPED, request.seq, statusBody(0, Buffer.alloc(16)));
const done = (request: NetlinkMessage, flags = NLM_F_MULTI) => frame(NLMSG_DONE, flags, request.seq, statusBody(0));
const linkReply = (request: NetlinkMessage, name: string, flags = 0) =>
  frame(16, flags, request.seq, Buffer.concat([Buffer.alloc(16), stringAttribute(3, name)]));

const nameOf = (message: { body: Buffer }) => decodeString(message.body.subarray(20));

const setLink: RtRequest = { type: 19, flags: 0, body: Buffer.alloc(16) };
const getLink: RtRequest = { type: 18, flags: 0, body: Buffer.alloc(16) };
const dumpLinks: RtRequest = { type: 18, flags: NLM_F_DUMP, body: Buffer.alloc(16) };

function failure(run: () => unknown): RtnlError {
  try {
    run();
  } catch (e) {
    return e as RtnlError;
  }
  throw new Error('expected a failure');
}

describe('NetlinkSocket.exchange', () => {
  it('sends the framed request and returns nothing for a bare ack', () => {
    const { libc, sent } = fakeLibc((request) => [ack(request)]);
    const socket = new NetlinkSocket(libc, 3);
    expect(socket.exchange('set link', setLink)).toEqual([]);
    expect(socket.exchange('set link', setLink)).toEqual([]);
    expect(sent).toEqual([encodeRequest(setLink, 1), encodeRequest(setLink, 2)]);
  });

  it('returns the answer of a single read, which the ack follows', () => {
    const { libc } = fakeLibc((request) => [Buffer.concat([linkReply(request, 'eth0'), ack(request)])]);
    const [message] = new NetlinkSocket(libc, 3).exchange('get link eth0', getLink);
    expect(message?.type).toBe(16);
    expect(nameOf(message!)).toBe('eth0');
  });

  it('reads a dump over several datagrams until NLMSG_DONE, each a copy that outlives the buffer', () => {
    const { libc } = fakeLibc((request) => [
      Buffer.concat([linkReply(request, 'lo', NLM_F_MULTI), linkReply(request, 'br0', NLM_F_MULTI)]),
      linkReply(request, 'vh0', NLM_F_MULTI),
      done(request),
    ]);
    const messages = new NetlinkSocket(libc, 3).exchange('list links', dumpLinks);
    expect(messages.map((m) => nameOf(m))).toEqual(['lo', 'br0', 'vh0']);
  });

  it('skips late answers to an earlier request', () => {
    const late = (request: NetlinkMessage) => linkReply({ ...request, seq: request.seq - 1 }, 'old');
    const { libc } = fakeLibc((request) => [late(request), Buffer.concat([linkReply(request, 'new'), ack(request)])]);
    const messages = new NetlinkSocket(libc, 3).exchange('get link', getLink);
    expect(messages.map((m) => nameOf(m))).toEqual(['new']);
  });

  it('turns NLMSG_ERROR into an RtnlError named by errno, with the extended ack as details', () => {
    const reason = stringAttribute(1, 'Unknown device type');
    const { libc } = fakeLibc((request) => [
      frame(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, request.seq, statusBody(-17, Buffer.alloc(16), reason)),
    ]);
    const error = failure(() => new NetlinkSocket(libc, 3).exchange('create bridge br0', setLink));
    expect(isRtnlExists(error)).toBe(true);
    expect(error.message).toBe('create bridge br0: EEXIST');
    expect(error.details).toBe('Unknown device type');
  });

  it('fails a dump whose NLMSG_DONE carries an errno', () => {
    const { libc } = fakeLibc((request) => [frame(NLMSG_DONE, NLM_F_MULTI, request.seq, statusBody(-16))]);
    expect(failure(() => new NetlinkSocket(libc, 3).exchange('list links', dumpLinks)).errno).toBe('EBUSY');
  });

  it('times out when the kernel does not answer (SO_RCVTIMEO)', () => {
    const { libc } = fakeLibc(() => []);
    const error = failure(() => new NetlinkSocket(libc, 3).exchange('list links', dumpLinks));
    expect(error.reason).toBe('timeout');
    expect(error.message).toContain(`${REQUEST_TIMEOUT_MS} ms`);
  });

  it('names the errno of a failed send', () => {
    const { libc } = fakeLibc(() => []);
    libc.send = () => {
      throw new LibcError('send', 105);
    };
    expect(failure(() => new NetlinkSocket(libc, 3).exchange('add route', setLink)).errno).toBe('ENOBUFS');
  });

  it('grows the buffer for a datagram that did not fit, drains the rest, and asks a read again', () => {
    const big = Buffer.alloc(70_000);
    const { libc, sent, queue } = fakeLibc((request) => [frame(16, NLM_F_MULTI, request.seq, big), done(request)]);
    const messages = new NetlinkSocket(libc, 3).exchange('list links', dumpLinks);
    expect(sent).toHaveLength(2);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.body.length).toBe(big.length);
    expect(queue).toEqual([]);
  });

  it('does not send a change twice when its answer was cut short', () => {
    const { libc, sent } = fakeLibc((request) => [frame(NLMSG_ERROR, 0, request.seq, statusBody(0, Buffer.alloc(70_000)))]);
    expect(failure(() => new NetlinkSocket(libc, 3).exchange('set link', setLink)).message).toContain('did not fit');
    expect(sent).toHaveLength(1);
  });

  it('asks an interrupted dump again, and gives up after three tries', () => {
    const interrupted = (request: NetlinkMessage) => [
      linkReply(request, 'lo', NLM_F_MULTI | NLM_F_DUMP_INTR),
      done(request, NLM_F_MULTI | NLM_F_DUMP_INTR),
    ];
    const once = fakeLibc((request, call) => (call === 1 ? interrupted(request) : [linkReply(request, 'lo', NLM_F_MULTI), done(request)]));
    expect(new NetlinkSocket(once.libc, 3).exchange('list links', dumpLinks)).toHaveLength(1);
    expect(once.sent).toHaveLength(2);

    const always = fakeLibc(interrupted);
    expect(failure(() => new NetlinkSocket(always.libc, 3).exchange('list links', dumpLinks)).reason).toBe('busy');
    expect(always.sent).toHaveLength(3);
  });

  it('closes its descriptor once', () => {
    const fake = fakeLibc(() => []);
    const socket = new NetlinkSocket(fake.libc, 3);
    socket.close();
    socket.close();
    expect(fake.closedCount()).toBe(1);
  });
});
