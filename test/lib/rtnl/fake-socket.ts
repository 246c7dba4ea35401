// A stand-in for the netlink socket: records every request and answers from a script, so
// unit tests see exactly what would be sent without a kernel.
import type { RtSocket } from '../../../lib/rtnl/socket.js';

export type Method = keyof RtSocket;

export interface SentRequest {
  method: Method;
  data: Record<string, unknown>;
  attrs: Record<string, unknown>;
  options: { flags?: number; timeout?: number } | undefined;
}

type Answer = unknown[] | Error | ((sent: SentRequest) => unknown[] | Error);

export interface FakeSocket {
  socket: RtSocket;
  sent: SentRequest[];
  /** Answers for a method, used in order; the last one repeats. Default: no messages. */
  answer(method: Method, ...answers: Answer[]): void;
}

export const kernelRejects = (code: string) => new Error(`Request rejected: ${code}`);

export function fakeSocket(): FakeSocket {
  const sent: SentRequest[] = [];
  const scripts = new Map<Method, Answer[]>();
  const handler = (method: Method) => async (data?: object, attrs?: object, options?: SentRequest['options']) => {
    const request: SentRequest = { method, data: { ...data }, attrs: { ...attrs }, options };
    sent.push(request);
    const script = scripts.get(method) ?? [];
    let answer = (script.length > 1 ? script.shift() : script[0]) ?? [];
    if (typeof answer === 'function') answer = answer(request);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const methods: Method[] = [
    'getLink',
    'getLinks',
    'newLink',
    'setLink',
    'delLink',
    'getAddresses',
    'newAddress',
    'delAddress',
    'getRoutes',
    'newRoute',
    'delRoute',
  ];
  const socket = Object.fromEntries(methods.map((m) => [m, handler(m)])) as unknown as RtSocket;
  return {
    socket,
    sent,
    answer(method, ...answers) {
      scripts.set(method, answers);
    },
  };
}

/** A link message as the package parses one from the kernel. */
export function linkMessage(index: number, ifname: string, extra: Record<string, unknown> = {}, flags: Record<string, true> = {}) {
  return { kind: 'link', data: { index, flags }, attrs: { ifname, ...extra } };
}
