// The rtnetlink socket: a plain AF_NETLINK socket driven through libc (lib/libc), so it works
// the same under Node and inside a Bun-compiled executable, and costs no module beyond libc.
// It is made inside the target namespace, where it stays for its whole life, whatever
// namespace the thread is in afterwards.
//
// One request at a time, synchronously: send it, then read until its ack, the NLMSG_DONE of a
// dump, or the kernel's error. The kernel handles an rtnetlink request inside the send call,
// so the answer is already queued when we read; SO_RCVTIMEO only bounds a wedged socket.

import {
  AF_NETLINK,
  EAGAIN,
  getLibc,
  LibcError,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
  type Libc,
} from '../libc/index.js';
import { inNetnsSync, type NetnsTarget } from '../netns/enter.js';
import { openNetns } from '../netns/open.js';
import { incompleteAnswer, malformedAnswer, refused, timedOut, toRtnlError } from './errors.js';
import {
  decodeMessages,
  decodeStatus,
  encodeRequest,
  isDump,
  kernelAssignedAddress,
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  type RtMessage,
  type RtRequest,
  timeval,
} from './netlink.js';
import { socketTimeout } from '../system/budget.js';

/** The kernel always answers; the timeout only guards against a wedged socket. */
export const REQUEST_TIMEOUT_MS = 10_000;

const NETLINK_ROUTE = 0;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
// A dump datagram holds at most 32 KiB unless one object alone is larger; a datagram that
// does not fit grows the buffer (see exchange).
const RECEIVE_BUFFER_BYTES = 64 * 1024;
// A dump cut short or interrupted by concurrent changes is asked again, this many times in all.
const READ_ATTEMPTS = 3;

/** What the link, address and route modules need; unit tests hand in a fake. */
export interface RtSocket {
  /** Send `request`; the messages of the kernel's answer (none for a bare ack). Failures are RtnlErrors. */
  exchange(operation: string, request: RtRequest): RtMessage[];
}

export type SocketLibc = Pick<Libc, 'socket' | 'bind' | 'setsockopt' | 'send' | 'recv' | 'close'>;

type Answer = { messages: RtMessage[]; incomplete?: 'truncated' | 'interrupted' };

// Only reads are safe to send twice; RTM_GET* types are the ones 2 mod 4 (linux/rtnetlink.h).
function isRead(request: RtRequest): boolean {
  return request.type % 4 === 2;
}

export class NetlinkSocket implements RtSocket {
  #seq = 0;
  #buffer = Buffer.alloc(RECEIVE_BUFFER_BYTES);
  #closed = false;

  constructor(
    private readonly libc: SocketLibc,
    readonly fd: number,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  exchange(operation: string, request: RtRequest): RtMessage[] {
    for (let attempt = 1; ; attempt += 1) {
      const answer = this.#roundTrip(operation, request);
      if (answer.incomplete === undefined) return answer.messages;
      if (!isRead(request) || attempt === READ_ATTEMPTS) throw incompleteAnswer(operation, answer.incomplete);
    }
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.libc.close(this.fd);
  }

  #roundTrip(operation: string, request: RtRequest): Answer {
    const seq = this.#nextSeq();
    this.#send(operation, encodeRequest(request, seq));
    const deadline = Date.now() + this.timeoutMs;
    const messages: RtMessage[] = [];
    let interrupted = false;
    for (;;) {
      const datagram = this.#receive(operation, deadline);
      if (datagram === undefined) {
        this.#drain();
        return { messages, incomplete: 'truncated' };
      }
      for (const message of decodeMessages(datagram)) {
        // A late answer to an earlier request that timed out is not ours to read.
        if (message.seq !== seq || message.type === NLMSG_NOOP) continue;
        if (message.type === NLMSG_OVERRUN) throw malformedAnswer(operation, 'the kernel reports lost data (NLMSG_OVERRUN)');
        if (message.flags & NLM_F_DUMP_INTR) interrupted = true;
        if (message.type !== NLMSG_ERROR && message.type !== NLMSG_DONE) {
          messages.push({ type: message.type, flags: message.flags, body: message.body });
          continue;
        }
        const status = decodeStatus(message);
        if (status.errno !== 0) throw refused(operation, status.errno, status.extAck);
        return interrupted && isDump(request) ? { messages, incomplete: 'interrupted' } : { messages };
      }
    }
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
  }

  #send(operation: string, message: Buffer): void {
    try {
      this.libc.send(this.fd, message);
    } catch (e) {
      throw toRtnlError(e, operation);
    }
  }

  /** One datagram (a copy: the buffer is reused); undefined when it did not fit, and the buffer grows. */
  #receive(operation: string, deadline: number): Buffer | undefined {
    if (Date.now() > deadline) throw timedOut(operation, this.timeoutMs);
    let length: number;
    try {
      // With MSG_TRUNC the kernel reports the datagram's full length, even beyond the buffer.
      length = this.libc.recv(this.fd, this.#buffer, MSG_TRUNC);
    } catch (e) {
      if (e instanceof LibcError && e.errno === EAGAIN) throw timedOut(operation, this.timeoutMs);
      throw toRtnlError(e, operation);
    }
    if (length <= this.#buffer.length) return Buffer.from(this.#buffer.subarray(0, length));
    this.#buffer = Buffer.alloc(length);
    return undefined;
  }

  // What is left of a cut-short answer. A dump produces its next datagram inside each read,
  // so once nothing is queued the dump is over and the socket is ready for a new request.
  #drain(): void {
    for (;;) {
      try {
        this.libc.recv(this.fd, this.#buffer, MSG_DONTWAIT | MSG_TRUNC);
      } catch {
        return;
      }
    }
  }
}

function intOption(value: number): Buffer {
  return Buffer.from(new Int32Array([value]).buffer);
}

function newRouteSocketFd(libc: SocketLibc): number {
  try {
    return libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  } catch (e) {
    throw toRtnlError(e, 'open netlink socket');
  }
}

function configure(libc: SocketLibc, fd: number, timeoutMs: number): void {
  libc.bind(fd, kernelAssignedAddress());
  libc.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(timeoutMs));
  // Only the header of a refused request comes back, and the kernel's reason with it. Both
  // are conveniences (older kernels lack them): errors are read either way.
  for (const option of [NETLINK_CAP_ACK, NETLINK_EXT_ACK]) {
    try {
      libc.setsockopt(fd, SOL_NETLINK, option, intOption(1));
    } catch {
      // without it, the full request is echoed and no reason is given
    }
  }
}

function socketFdIn(libc: SocketLibc & Pick<Libc, 'setns'>, netns: NetnsTarget | undefined): number {
  if (netns === undefined) return newRouteSocketFd(libc);
  if (typeof netns !== 'string') return inNetnsSync(libc, netns, () => newRouteSocketFd(libc));
  const handle = openNetns(netns);
  try {
    return inNetnsSync(libc, handle, () => newRouteSocketFd(libc));
  } finally {
    handle.close();
  }
}

/** A socket in `netns` (a path, fd or handle), or in the thread's own namespace when undefined. */
export function openRtSocket(netns?: NetnsTarget, timeoutMs = socketTimeout(REQUEST_TIMEOUT_MS)): NetlinkSocket {
  const libc = getLibc();
  const fd = socketFdIn(libc, netns);
  try {
    configure(libc, fd, timeoutMs);
  } catch (e) {
    libc.close(fd);
    throw toRtnlError(e, 'open netlink socket');
  }
  return new NetlinkSocket(libc, fd, timeoutMs);
}
