// A stand-in for the netlink socket: records every request (its bytes, and the method of the
// old client API it stands for, so tests read like the calls they check) and answers from a
// script with messages encoded as the kernel encodes them, so unit tests exercise the real
// builders and parsers without a kernel.
import { interfaceInfoHeader, stringAttribute, type InterfaceInfoHeader } from '../../../lib/rtnl/attributes.js';
import { addressHeader, RTM_NEWADDR, type AddressHeader } from '../../../lib/rtnl/addresses.js';
import { refused } from '../../../lib/rtnl/errors.js';
import { RTM_NEWLINK } from '../../../lib/rtnl/links.js';
import { NLM_F_DUMP, type RtMessage, type RtRequest } from '../../../lib/rtnl/netlink.js';
import { routeHeader, RTM_NEWROUTE, type RouteHeader } from '../../../lib/rtnl/routes.js';
import type { RtSocket } from '../../../lib/rtnl/socket.js';

export type Method =
  | 'getLink'
  | 'getLinks'
  | 'newLink'
  | 'setLink'
  | 'delLink'
  | 'getAddresses'
  | 'newAddress'
  | 'delAddress'
  | 'getRoutes'
  | 'newRoute'
  | 'delRoute';

// RTM_* type → method; a GET with NLM_F_DUMP is the plural one.
const methods: Record<number, [single: Method, dump?: Method]> = {
  16: ['newLink'],
  17: ['delLink'],
  18: ['getLink', 'getLinks'],
  19: ['setLink'],
  20: ['newAddress'],
  21: ['delAddress'],
  22: ['getAddresses', 'getAddresses'],
  24: ['newRoute'],
  25: ['delRoute'],
  26: ['getRoutes', 'getRoutes'],
};

export interface SentRequest extends RtRequest {
  method: Method;
  operation: string;
}

/** The kernel's refusal, by errno number (linux/errno.h). */
export interface Refusal {
  refuse: number;
}

type Answer = RtMessage[] | Refusal | ((sent: SentRequest) => RtMessage[] | Refusal);

export interface FakeSocket {
  socket: RtSocket;
  sent: SentRequest[];
  /** Answers for a method, used in order; the last one repeats. Default: a bare ack. */
  answer(method: Method, ...answers: Answer[]): void;
}

export const EPERM = 1;
export const ESRCH = 3;
export const EEXIST = 17;
export const ENODEV = 19;
export const EADDRNOTAVAIL = 99;

export const kernelRejects = (errno: number): Refusal => ({ refuse: errno });

function methodOf(request: RtRequest): Method {
  const [single, dump] = methods[request.type] ?? [];
  if (!single) throw new Error(`fake socket: unexpected message type ${request.type}`);
  return (request.flags & NLM_F_DUMP) === NLM_F_DUMP && dump ? dump : single;
}

export function fakeSocket(): FakeSocket {
  const sent: SentRequest[] = [];
  const scripts = new Map<Method, Answer[]>();
  const socket: RtSocket = {
    exchange(operation, request) {
      const recorded: SentRequest = { ...request, method: methodOf(request), operation };
      sent.push(recorded);
      const script = scripts.get(recorded.method) ?? [];
      let answer = (script.length > 1 ? script.shift() : script[0]) ?? [];
      if (typeof answer === 'function') answer = answer(recorded);
      if ('refuse' in answer) throw refused(operation, answer.refuse);
      return answer;
    },
  };
  return {
    socket,
    sent,
    answer(method, ...answers) {
      scripts.set(method, answers);
    },
  };
}

/** A RTM_NEWLINK message as the kernel sends one: ifinfomsg, IFLA_IFNAME, then `attributes`. */
export function linkMessage(index: number, ifname: string, attributes: Buffer[] = [], header: InterfaceInfoHeader = {}): RtMessage {
  return {
    type: RTM_NEWLINK,
    flags: 0,
    body: Buffer.concat([interfaceInfoHeader({ ...header, index }), stringAttribute(3, ifname), ...attributes]),
  };
}

export function addressMessage(header: AddressHeader, attributes: Buffer[] = []): RtMessage {
  return { type: RTM_NEWADDR, flags: 0, body: Buffer.concat([addressHeader(header), ...attributes]) };
}

export function routeMessage(header: Partial<RouteHeader>, attributes: Buffer[] = []): RtMessage {
  const full: RouteHeader = {
    family: 2,
    dstLength: 0,
    srcLength: 0,
    tos: 0,
    table: 254,
    protocol: 0,
    scope: 0,
    type: 1,
    flags: 0,
    ...header,
  };
  return { type: RTM_NEWROUTE, flags: 0, body: Buffer.concat([routeHeader(full), ...attributes]) };
}
