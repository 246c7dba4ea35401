// A NETLINK_NETFILTER socket for ctnetlink, driven through libc (lib/libc) like rtnetlink's,
// so it works under Node and in the Bun-compiled executable. Made inside the namespace whose
// connection tracking it reads: a socket stays with the namespace it was made in.
// One request at a time, synchronously: the kernel answers a dump or a delete inside our
// send and receive calls; SO_RCVTIMEO only bounds a wedged socket.

import { AF_NETLINK, EAGAIN, getLibc, type Libc, LibcError, SO_RCVTIMEO, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET } from '../libc/index.js';
import { inNetnsSync } from '../netns/enter.js';
import { openNetns } from '../netns/open.js';
import {
  decodeMessages,
  decodeStatus,
  encodeRequest,
  kernelAssignedAddress,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_OVERRUN,
  timeval,
  type RtMessage,
  type RtRequest,
} from '../rtnl/netlink.js';
import { ConntrackError, conntrackRefused } from './errors.js';
import { socketTimeout } from '../system/budget.js';

const NETLINK_NETFILTER = 12;
const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;
const RECEIVE_BUFFER_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

export type SocketLibc = Pick<Libc, 'socket' | 'bind' | 'setsockopt' | 'send' | 'recv' | 'close' | 'setns'>;

/** What the flush needs of a socket; unit tests hand in a fake. */
export interface CtSocket {
  /** The messages of the answer (a dump's entries; none for an acknowledged request). */
  exchange(operation: string, request: RtRequest): RtMessage[];
  close(): void;
}

function failure(operation: string, e: unknown): ConntrackError {
  if (e instanceof ConntrackError) return e;
  if (e instanceof LibcError)
    return new ConntrackError('failed', operation, undefined, `${e.call} failed with errno ${e.errno}`, { cause: e });
  return new ConntrackError('failed', operation, undefined, e instanceof Error ? e.message : String(e), { cause: e });
}

export class ConntrackSocket implements CtSocket {
  #seq = 0;
  #buffer = Buffer.alloc(RECEIVE_BUFFER_BYTES);
  #closed = false;

  constructor(
    private readonly libc: SocketLibc,
    readonly fd: number,
  ) {}

  exchange(operation: string, request: RtRequest): RtMessage[] {
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    try {
      this.libc.send(this.fd, encodeRequest(request, seq));
    } catch (e) {
      throw failure(operation, e);
    }
    const messages: RtMessage[] = [];
    for (;;) {
      for (const message of decodeMessages(this.#receive(operation))) {
        if (message.seq !== seq) continue;
        if (message.type === NLMSG_OVERRUN) throw new ConntrackError('failed', operation, undefined, 'the kernel reports lost data');
        if (message.type !== NLMSG_ERROR && message.type !== NLMSG_DONE) {
          messages.push(message);
          continue;
        }
        const { errno, extAck } = decodeStatus(message);
        if (errno !== 0) throw conntrackRefused(operation, errno, extAck ?? `the kernel answered errno ${errno}`);
        return messages;
      }
    }
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.libc.close(this.fd);
  }

  /** One datagram, peeked first (MSG_TRUNC gives its full length) so one too large for the buffer grows it. */
  #receive(operation: string): Buffer {
    try {
      const length = this.libc.recv(this.fd, this.#buffer, MSG_PEEK | MSG_TRUNC);
      if (length > this.#buffer.length) this.#buffer = Buffer.alloc(length);
      const read = this.libc.recv(this.fd, this.#buffer, 0);
      return Buffer.from(this.#buffer.subarray(0, read));
    } catch (e) {
      if (e instanceof LibcError && e.errno === EAGAIN)
        throw new ConntrackError('timeout', operation, undefined, "no answer within the socket's receive timeout", { cause: e });
      throw failure(operation, e);
    }
  }
}

function newSocket(libc: SocketLibc): number {
  const fd = libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  try {
    libc.bind(fd, kernelAssignedAddress());
    libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(socketTimeout(REQUEST_TIMEOUT_MS)));
  } catch (e) {
    libc.close(fd);
    throw e;
  }
  return fd;
}

/** A ctnetlink socket in the namespace at `netns` (a path), or in the thread's own when undefined. */
export function openConntrackSocket(netns?: string, libc: SocketLibc = getLibc()): ConntrackSocket {
  try {
    if (netns === undefined) return new ConntrackSocket(libc, newSocket(libc));
    const handle = openNetns(netns);
    try {
      return new ConntrackSocket(
        libc,
        inNetnsSync(libc, handle, () => newSocket(libc)),
      );
    } finally {
      handle.close();
    }
  } catch (e) {
    throw failure('open a netlink socket', e);
  }
}
