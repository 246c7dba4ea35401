// What the name server of a zone says to one query: pure (bytes in, a decision out), so every
// answer is unit-tested without a socket. server.ts does the I/O.
//
//   answerQuery(query, context) →
//     { kind: 'answer', response }  local names: `<name>.<zone>.<domain>` (A, AAAA, ANY), the
//                                   zone's apex (SOA), reverse names (PTR) of addresses of the
//                                   zone's names or in its subnets; REFUSED when forwarding is
//                                   off; FORMERR, NOTIMP for what is not a plain query
//     { kind: 'forward' }           every other query: server.ts sends the query's own bytes upstream
//     { kind: 'drop' }              not a query at all (a response, fewer than 12 bytes)
//
// Local answers are authoritative (AA) with a TTL of 5 s: names come and go with containers.
// An unknown name in the zone is NXDOMAIN, a known name without an address of the asked type is
// NODATA (NOERROR, no answer); both carry the zone's SOA in the authority section so resolvers
// cache the miss no longer than 5 s. Names compare without case; the question is echoed as
// asked. Over UDP an answer larger than the client takes (512 bytes, or its EDNS size) is sent
// truncated (TC) for the client to ask again over TCP. DNS packets are read and written by
// `dns-packet`; a query it cannot read is FORMERR, never an exception.
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Question } from 'dns-packet';
import { canonicalAddress, formatAddress, parseAddress, type Subnet, subnetContains } from '../ip/index.js';
import type { NameEntry } from './names.js';

/** Seconds every local answer, and a miss through the SOA's minimum, may be cached. */
export const LOCAL_TTL = 5;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = (typeof RCODE)[keyof typeof RCODE];

/** The names of a zone (its store's and its machines'), looked up both ways. Built once per change of either. */
export interface NameTable {
  /** Lowercase label → canonical addresses of every owner of that name. */
  readonly byName: ReadonlyMap<string, readonly string[]>;
  /** Canonical address → the labels that hold it. */
  readonly byAddress: ReadonlyMap<string, readonly string[]>;
}

export interface AnswerContext {
  /** `<zone>.<domain>`, lowercase, without a trailing dot. */
  origin: string;
  /** The zone's subnets: reverse names of their addresses are answered here, even when unknown. */
  subnets: readonly Subnet[];
  names: NameTable;
  /** Whether queries for other names go upstream; without, they are REFUSED. */
  forward: boolean;
  transport: 'udp' | 'tcp';
  /** The SOA serial: changes when the zone's names do. */
  serial?: number;
}

export type Outcome = { kind: 'answer'; response: Buffer } | { kind: 'forward' } | { kind: 'drop' };

const HEADER_BYTES = 12;
const OPCODE_QUERY = 0;
const CLASSIC_UDP_SIZE = 512;
/** What we offer in our own OPT record: the size that avoids IP fragmentation (DNS flag day 2020). */
const OUR_UDP_SIZE = 1232;
const QR = 0x8000;

/** Join entries (the store's, the machines') into a table; a name several owners hold gets all their addresses. */
export function buildNameTable(entries: readonly NameEntry[]): NameTable {
  const byName = new Map<string, string[]>();
  const byAddress = new Map<string, string[]>();
  const addOnce = (map: Map<string, string[]>, key: string, value: string) => {
    const list = map.get(key);
    if (!list) map.set(key, [value]);
    else if (!list.includes(value)) list.push(value);
  };
  for (const entry of entries) {
    const name = entry.name.toLowerCase();
    if (!byName.has(name)) byName.set(name, []);
    for (const text of entry.addresses) {
      const address = canonicalAddress(text);
      if (address === undefined) continue;
      addOnce(byName, name, address);
      addOnce(byAddress, address, name);
    }
  }
  return { byName, byAddress };
}

/** What to do with one query (see the top of the file). Never throws. */
export function answerQuery(query: Buffer, context: AnswerContext): Outcome {
  if (query.length < HEADER_BYTES || (query.readUInt16BE(2) & QR) !== 0) return { kind: 'drop' };
  const packet = decodeQuery(query);
  if (!packet) return reply(errorResponse(query, RCODE.FORMERR));
  const opcode = ((packet.flags ?? 0) >> 11) & 0xf;
  if (opcode !== OPCODE_QUERY) return reply(errorResponse(query, RCODE.NOTIMP, packet));
  const [question] = packet.questions ?? [];
  if (!question || packet.questions?.length !== 1) return reply(errorResponse(query, RCODE.FORMERR, packet));

  const name = normalName(question.name);
  const local = isInZone(name, context.origin) || reverseTarget(name, context) !== undefined;
  if (!local) return context.forward ? { kind: 'forward' } : reply(errorResponse(query, RCODE.REFUSED, packet, context));
  if (question.class !== 'IN' && question.class !== 'ANY') return reply(errorResponse(query, RCODE.REFUSED, packet, context));
  return reply(localAnswer(query, packet, question, name, context));
}

/**
 * A response with `rcode` and nothing else for a query that was to be forwarded (SERVFAIL when
 * no upstream answered), the question echoed when it can be faithfully; undefined for what
 * deserves no answer.
 */
export function failureResponse(query: Buffer, rcode: Rcode): Buffer | undefined {
  if (query.length < HEADER_BYTES || (query.readUInt16BE(2) & QR) !== 0) return undefined;
  return errorResponse(query, rcode, decodeQuery(query), { forward: true });
}

function reply(response: Buffer): Outcome {
  return { kind: 'answer', response };
}

/**
 * The whole query; failing that (a record dns-packet cannot read behind the question), its
 * header and question alone, which is all an answer needs.
 */
function decodeQuery(query: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(query);
  } catch {
    const questionOnly = Buffer.from(query);
    questionOnly.fill(0, 6, HEADER_BYTES); // no answer, authority or additional records
    try {
      return dnsPacket.decode(questionOnly);
    } catch {
      return undefined;
    }
  }
}

/** Lowercase, without the root's trailing dot. */
function normalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function isInZone(name: string, origin: string): boolean {
  return name === origin || name.endsWith(`.${origin}`);
}

/** The address a reverse name stands for, when it is ours to answer: a name's of the zone or in a subnet of the zone. */
function reverseTarget(name: string, context: AnswerContext): string | undefined {
  const address = reverseAddress(name);
  if (address === undefined) return undefined;
  const parsed = parseAddress(address);
  if (context.names.byAddress.has(address)) return address;
  return parsed && context.subnets.some((subnet) => subnetContains(subnet, parsed)) ? address : undefined;
}

/** `2.0.89.10.in-addr.arpa` → 10.89.0.2, 32 nibbles `.ip6.arpa` → the IPv6 address; else undefined. */
function reverseAddress(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const octets = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4) return undefined;
    return canonicalAddress(octets.reverse().join('.'));
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    const groups = hex.match(/.{4}/g) ?? [];
    const address = parseAddress(groups.join(':'));
    return address && formatAddress(address);
  }
  return undefined;
}

function localAnswer(query: Buffer, packet: DecodedPacket, question: Question, name: string, context: AnswerContext): Buffer {
  const records: Answer[] = [];
  let rcode: Rcode = RCODE.NOERROR;
  const type = question.type;
  const reverse = reverseTarget(name, context);
  const soa = soaRecord(context);

  if (reverse !== undefined) {
    const labels = context.names.byAddress.get(reverse) ?? [];
    if (labels.length === 0) rcode = RCODE.NXDOMAIN;
    else if (type === 'PTR' || (type as string) === 'ANY')
      for (const label of labels) records.push({ type: 'PTR', name: question.name, ttl: LOCAL_TTL, data: `${label}.${context.origin}` });
    return encodeResponse(query, packet, rcode, records, [], context, true);
  }

  if (name === context.origin) {
    if (type === 'SOA' || (type as string) === 'ANY') records.push({ ...soa, name: question.name });
  } else {
    const label = name.slice(0, -(context.origin.length + 1));
    const addresses = label.includes('.') ? undefined : context.names.byName.get(label);
    if (addresses === undefined) rcode = RCODE.NXDOMAIN;
    else {
      const wantV4 = type === 'A' || (type as string) === 'ANY';
      const wantV6 = type === 'AAAA' || (type as string) === 'ANY';
      for (const address of addresses) {
        const v6 = address.includes(':');
        if (v6 ? wantV6 : wantV4) records.push({ type: v6 ? 'AAAA' : 'A', name: question.name, ttl: LOCAL_TTL, data: address });
      }
    }
  }
  const authorities = records.length === 0 ? [soa] : [];
  return encodeResponse(query, packet, rcode, records, authorities, context, true);
}

function soaRecord(context: AnswerContext): Answer {
  return {
    type: 'SOA',
    name: context.origin,
    ttl: LOCAL_TTL,
    data: {
      mname: context.origin,
      rname: `hostmaster.${context.origin}`,
      serial: context.serial ?? 1,
      refresh: 60,
      retry: 10,
      expire: 60,
      minimum: LOCAL_TTL,
    },
  };
}

function ednsOf(packet: DecodedPacket | undefined): { udpPayloadSize: number } | undefined {
  const opt = packet?.additionals?.find((record) => record.type === 'OPT');
  return opt && 'udpPayloadSize' in opt ? { udpPayloadSize: opt.udpPayloadSize } : undefined;
}

/** Response flags: RD and CD echoed, RA when we forward, AA for our own names, and the rcode. */
function flagsFor(query: Buffer, rcode: Rcode, authoritative: boolean, forward: boolean): number {
  const queryFlags = query.readUInt16BE(2);
  let flags = queryFlags & (dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED);
  if (authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  if (forward) flags |= dnsPacket.RECURSION_AVAILABLE;
  return flags | rcode;
}

function encodeResponse(
  query: Buffer,
  packet: DecodedPacket,
  rcode: Rcode,
  answers: Answer[],
  authorities: Answer[],
  context: AnswerContext,
  authoritative: boolean,
): Buffer {
  const edns = ednsOf(packet);
  const additionals: Answer[] = edns ? [ourOpt()] : [];
  const questions = faithfulQuestions(query, packet);
  const base = { type: 'response' as const, id: query.readUInt16BE(0), questions, additionals };
  const flags = flagsFor(query, rcode, authoritative, context.forward);
  const full = dnsPacket.encode({ ...base, flags, answers, authorities });
  const limit = context.transport === 'tcp' ? 0xffff : Math.min(Math.max(edns?.udpPayloadSize ?? 0, CLASSIC_UDP_SIZE), OUR_UDP_SIZE);
  if (full.length <= limit) return full;
  return dnsPacket.encode({ ...base, flags: flags | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [] });
}

function ourOpt(): Answer {
  return { type: 'OPT', name: '.', udpPayloadSize: OUR_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
}

/**
 * The decoded question, when writing it again gives the query's own bytes; otherwise none (a
 * name dns-packet reads lossily, such as a label holding a dot or bytes that are not UTF-8,
 * would be echoed wrong, and a wrong question is worse than none).
 */
function faithfulQuestions(query: Buffer, packet: DecodedPacket | undefined): Question[] {
  const questions = packet?.questions ?? [];
  if (questions.length === 0) return [];
  try {
    const encoded = dnsPacket.encode({ questions });
    const length = encoded.length - HEADER_BYTES;
    return query.subarray(HEADER_BYTES, HEADER_BYTES + length).equals(encoded.subarray(HEADER_BYTES)) ? questions : [];
  } catch {
    return [];
  }
}

function errorResponse(query: Buffer, rcode: Rcode, packet?: DecodedPacket, context?: Pick<AnswerContext, 'forward'>): Buffer {
  const edns = ednsOf(packet);
  return dnsPacket.encode({
    type: 'response',
    id: query.readUInt16BE(0),
    flags: flagsFor(query, rcode, false, context?.forward ?? false) | (query.readUInt16BE(2) & 0x7800), // the opcode, echoed
    questions: faithfulQuestions(query, packet),
    additionals: edns ? [ourOpt()] : [],
  });
}
