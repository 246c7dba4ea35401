// A stand-in for ctnetlink in unit tests: entries as the kernel dumps them (IPCTNL_MSG_CT_NEW
// with the original tuple, id and zone), and a socket that answers dumps from a table of
// entries, applying the request's family/protocol/port filter, and deletes by id.
import { conntrackRefused } from '../../../lib/conntrack/errors.js';
import type { CtSocket } from '../../../lib/conntrack/socket.js';
import { attribute, decodeAttributes, findAttribute } from '../../../lib/rtnl/attributes.js';
import type { RtMessage, RtRequest } from '../../../lib/rtnl/netlink.js';

export interface FakeFlow {
  family: 4 | 6;
  protocol: number;
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
  id: number;
  zone?: number;
}

function addressBytes(text: string): Buffer {
  if (!text.includes(':')) return Buffer.from(text.split('.').map(Number));
  const [head = '', tail = ''] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = groups(tail);
  const all = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
}

const be16 = (value: number) => Buffer.from([value >> 8, value & 255]);
const be32 = (value: number) => Buffer.from([(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
const NESTED = 0x8000;

/** The message the kernel sends for `flow` in a dump. */
export function entryMessage(flow: FakeFlow): RtMessage {
  const [src, dst] = flow.family === 4 ? [1, 2] : [3, 4];
  const ip = attribute(
    1 | NESTED,
    Buffer.concat([attribute(src, addressBytes(flow.source)), attribute(dst, addressBytes(flow.destination))]),
  );
  const proto = attribute(
    2 | NESTED,
    Buffer.concat([
      attribute(1, Buffer.from([flow.protocol])),
      attribute(2, be16(flow.sourcePort)),
      attribute(3, be16(flow.destinationPort)),
    ]),
  );
  const attributes = [attribute(1 | NESTED, Buffer.concat([ip, proto])), attribute(3, be32(0x188)), attribute(12, be32(flow.id))];
  if (flow.zone !== undefined) attributes.push(attribute(18, be16(flow.zone)));
  const header = Buffer.from([flow.family === 4 ? 2 : 10, 0, 0, 0]);
  return { type: 0x100, flags: 2, body: Buffer.concat([header, ...attributes]) };
}

interface Selection {
  family: 4 | 6;
  protocol?: number;
  port?: number;
}

function selectionOf(request: RtRequest): Selection {
  const family = request.body[0] === 2 ? 4 : 6;
  const attributes = decodeAttributes(request.body.subarray(4));
  const proto = decodeAttributes(findAttribute(decodeAttributes(findAttribute(attributes, 1) ?? Buffer.alloc(0)), 2) ?? Buffer.alloc(0));
  const port = findAttribute(proto, 3);
  return { family, protocol: findAttribute(proto, 1)?.[0], ...(port && { port: port.readUInt16BE(0) }) };
}

function idOf(request: RtRequest): number | undefined {
  return findAttribute(decodeAttributes(request.body.subarray(4)), 12)?.readUInt32BE(0);
}

export class FakeConntrack implements CtSocket {
  readonly requests: RtRequest[] = [];
  closed = 0;
  /** Deleted by us; a flow listed here again is "gone" (ENOENT). */
  readonly deleted: number[] = [];
  /** Flows that vanish between dump and delete (expired). */
  readonly expiring = new Set<number>();

  constructor(public flows: FakeFlow[]) {}

  get dumps(): Selection[] {
    return this.requests.filter((r) => (r.type & 0xff) === 1).map(selectionOf);
  }

  exchange(_operation: string, request: RtRequest): RtMessage[] {
    this.requests.push(request);
    if ((request.type & 0xff) === 1) {
      const s = selectionOf(request);
      return this.flows
        .filter((f) => f.family === s.family && f.protocol === s.protocol && (s.port === undefined || f.destinationPort === s.port))
        .map(entryMessage);
    }
    const id = idOf(request);
    const flow = this.flows.find((f) => f.id === id);
    if (flow === undefined || this.expiring.has(flow.id)) throw conntrackRefused('delete', 2, 'No such file or directory');
    this.flows = this.flows.filter((f) => f !== flow);
    this.deleted.push(flow.id);
    return [];
  }

  close(): void {
    this.closed += 1;
  }
}
