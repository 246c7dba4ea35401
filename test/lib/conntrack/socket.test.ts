import { describe, expect, it } from 'vitest';
import { ConntrackError, isGone } from '../../../lib/conntrack/errors.js';
import { ConntrackSocket, type SocketLibc } from '../../../lib/conntrack/socket.js';
import { EAGAIN, LibcError } from '../../../lib/libc/index.js';
import { writeU16, writeU32 } from '../../../lib/rtnl/attributes.js';

const MSG_PEEK = 0x2;

function frame(type: number, seq: number, body: Buffer, flags = 0): Buffer {
  const out = Buffer.alloc(16 + body.length);
  writeU32(out, out.length, 0);
  writeU16(out, type, 4);
  writeU16(out, flags, 6);
  writeU32(out, seq, 8);
  body.copy(out, 16);
  return out;
}

const status = (errno: number) => {
  const body = Buffer.alloc(20);
  body.writeInt32LE(-errno, 0);
  return body;
};

/** A kernel that answers each request with the datagrams `answer` gives for its sequence number. */
function fakeLibc(answer: (seq: number) => Buffer[]): SocketLibc & { sent: Buffer[]; closed: number } {
  const queue: Buffer[] = [];
  const libc = {
    sent: [] as Buffer[],
    closed: 0,
    socket: () => 3,
    bind: () => undefined,
    setsockopt: () => undefined,
    setns: () => undefined,
    send(_fd: number, data: Uint8Array) {
      const message = Buffer.from(data);
      libc.sent.push(message);
      queue.push(...answer(message.readUInt32LE(8)));
      return data.byteLength;
    },
    recv(_fd: number, buffer: Uint8Array, flags = 0) {
      const next = queue[0];
      if (next === undefined) throw new LibcError('recv', EAGAIN);
      Buffer.from(next.subarray(0, buffer.byteLength)).copy(buffer);
      if (!(flags & MSG_PEEK)) queue.shift();
      return next.length;
    },
    close() {
      libc.closed += 1;
    },
  };
  return libc;
}

const entry = (seq: number, size = 8) => frame(0x100, seq, Buffer.alloc(size, 1), 2);

describe('ConntrackSocket', () => {
  it('collects a dump over several datagrams until NLMSG_DONE, one larger than its buffer included', () => {
    const libc = fakeLibc((seq) => [Buffer.concat([entry(seq), entry(seq)]), entry(seq, 100_000), frame(3, seq, Buffer.alloc(4))]);
    const socket = new ConntrackSocket(libc, 3);
    const messages = socket.exchange('list', { type: 0x101, flags: 0x300, body: Buffer.alloc(4) });
    expect(messages.map((m) => m.body.length)).toEqual([8, 8, 100_000]);
    socket.close();
    socket.close();
    expect(libc.closed).toBe(1);
  });

  it('skips answers to other requests, and returns on the ack', () => {
    const libc = fakeLibc((seq) => [entry(seq + 7), frame(2, seq, status(0))]);
    expect(new ConntrackSocket(libc, 3).exchange('delete', { type: 0x102, flags: 0, body: Buffer.alloc(4) })).toEqual([]);
  });

  it("turns the kernel's errno and a silent kernel into ConntrackErrors", () => {
    const gone = new ConntrackSocket(
      fakeLibc((seq) => [frame(2, seq, status(2))]),
      3,
    );
    const error = (() => {
      try {
        gone.exchange('delete a flow', { type: 0x102, flags: 0, body: Buffer.alloc(4) });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConntrackError);
    expect(isGone(error)).toBe(true);
    const silent = new ConntrackSocket(
      fakeLibc(() => []),
      3,
    );
    expect(() => silent.exchange('list', { type: 0x101, flags: 0x300, body: Buffer.alloc(4) })).toThrow(
      expect.objectContaining({ message: 'conntrack: cannot list', details: expect.stringMatching(/no answer within/) }),
    );
  });
});
