// The answers of a zone's name server, without sockets: local names both ways, the misses
// (NXDOMAIN, NODATA with the SOA), case, what goes upstream, and what is no query at all.
import dnsPacket, { type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnswerContext, answerQuery, buildNameTable, failureResponse, LOCAL_TTL, RCODE } from '../../../lib/dns/answer.js';
import type { NameEntry } from '../../../lib/dns/names.js';
import { parseCidr, subnetOf } from '../../../lib/ip/index.js';

const attachment = (containerId: string) => ({ network: 'demo', containerId, ifname: 'eth0' });
const entries: NameEntry[] = [
  { name: 'web', addresses: ['10.89.0.2', 'fd89::2'], owner: attachment('c1') },
  { name: 'www', addresses: ['10.89.0.2', 'fd89::2'], owner: attachment('c1') },
  { name: 'db', addresses: ['10.89.0.3'], owner: { machine: 'db' } },
  { name: 'nothing', addresses: [], owner: { machine: 'nothing' } },
  // The same name from a second owner: both addresses are answered.
  { name: 'api', addresses: ['10.89.0.4'], owner: attachment('c4') },
  { name: 'api', addresses: ['10.89.0.5'], owner: attachment('c5') },
];

const subnet = (text: string) => subnetOf(parseCidr(text)!);

function context(overrides: Partial<AnswerContext> = {}): AnswerContext {
  return {
    origin: 'demo.internal',
    subnets: [subnet('10.89.0.0/24'), subnet('fd89::/64')],
    names: buildNameTable(entries),
    forward: true,
    transport: 'udp',
    serial: 42,
    ...overrides,
  };
}

function query(name: string, type: RecordType | 'ANY', extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 0x1234,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as RecordType }],
    ...extra,
  });
}

function ask(bytes: Buffer, ctx: AnswerContext = context()): DecodedPacket & { rcode: string } {
  const outcome = answerQuery(bytes, ctx);
  if (outcome.kind !== 'answer') throw new Error(`expected an answer, got ${outcome.kind}`);
  return dnsPacket.decode(outcome.response) as DecodedPacket & { rcode: string };
}

const dataOf = (packet: DecodedPacket) => packet.answers?.map((a) => ('data' in a ? a.data : undefined));

describe('answerQuery: names of the zone', () => {
  it('answers A and AAAA authoritatively with a short TTL, echoing id, question and RD', () => {
    const a = ask(query('web.demo.internal', 'A'));
    expect(a.id).toBe(0x1234);
    expect(a.type).toBe('response');
    expect(a.rcode).toBe('NOERROR');
    expect(a.flag_aa).toBe(true);
    expect(a.flag_rd).toBe(true);
    expect(a.flag_ra).toBe(true);
    expect(a.questions).toEqual([{ name: 'web.demo.internal', type: 'A', class: 'IN' }]);
    expect(a.answers).toEqual([{ name: 'web.demo.internal', type: 'A', class: 'IN', ttl: LOCAL_TTL, flush: false, data: '10.89.0.2' }]);
    expect(a.authorities).toEqual([]);
    expect(dataOf(ask(query('web.demo.internal', 'AAAA')))).toEqual(['fd89::2']);
    expect(dataOf(ask(query('web.demo.internal', 'ANY')))).toEqual(['10.89.0.2', 'fd89::2']);
  });

  it('ignores case and a trailing dot, and echoes the name as asked', () => {
    const a = ask(query('WeB.Demo.INTERNAL.', 'A'));
    expect(a.questions?.[0]?.name).toBe('WeB.Demo.INTERNAL');
    expect(a.answers?.[0]?.name).toBe('WeB.Demo.INTERNAL');
    expect(dataOf(a)).toEqual(['10.89.0.2']);
  });

  it('answers every owner of a name', () => {
    expect(dataOf(ask(query('api.demo.internal', 'A')))).toEqual(['10.89.0.4', '10.89.0.5']);
  });

  it('says NXDOMAIN for an unknown name and for names below a known one, with the SOA', () => {
    for (const name of ['nope.demo.internal', 'x.web.demo.internal']) {
      const a = ask(query(name, 'A'));
      expect(a.rcode).toBe('NXDOMAIN');
      expect(a.flag_aa).toBe(true);
      expect(a.answers).toEqual([]);
      expect(a.authorities).toEqual([
        {
          name: 'demo.internal',
          type: 'SOA',
          class: 'IN',
          ttl: LOCAL_TTL,
          flush: false,
          data: {
            mname: 'demo.internal',
            rname: 'hostmaster.demo.internal',
            serial: 42,
            refresh: 60,
            retry: 10,
            expire: 60,
            minimum: LOCAL_TTL,
          },
        },
      ]);
    }
  });

  it('says NODATA for a known name without an address of the type, or a type it never has', () => {
    for (const [name, type] of [
      ['db.demo.internal', 'AAAA'],
      ['nothing.demo.internal', 'A'],
      ['web.demo.internal', 'MX'],
      ['web.demo.internal', 'TXT'],
      ['web.demo.internal', 'UNKNOWN_65280'],
    ] as const) {
      const a = ask(query(name, type as RecordType));
      expect(a.rcode).toBe('NOERROR');
      expect(a.answers).toEqual([]);
      expect(a.authorities?.map((r) => r.type)).toEqual(['SOA']);
    }
  });

  it('answers the SOA at the zone apex and NODATA for its addresses', () => {
    const soa = ask(query('demo.internal', 'SOA'));
    expect(soa.rcode).toBe('NOERROR');
    expect(soa.answers?.map((r) => r.type)).toEqual(['SOA']);
    const a = ask(query('demo.internal', 'A'));
    expect(a.rcode).toBe('NOERROR');
    expect(a.answers).toEqual([]);
  });

  it('refuses classes other than IN for its own names', () => {
    expect(ask(query('web.demo.internal', 'A', { questions: [{ name: 'web.demo.internal', type: 'A', class: 'CH' }] })).rcode).toBe(
      'REFUSED',
    );
  });
});

describe('answerQuery: reverse names', () => {
  it('answers PTR for an address in the store, v4 and v6, with every name holding it', () => {
    expect(dataOf(ask(query('2.0.89.10.in-addr.arpa', 'PTR')))).toEqual(['web.demo.internal', 'www.demo.internal']);
    // fd89::2 → 2.0.0.0. … .9.8.d.f.ip6.arpa
    const nibbles = 'fd890000000000000000000000000002'.split('').reverse().join('.');
    const a = ask(query(`${nibbles}.ip6.arpa`, 'PTR'));
    expect(dataOf(a)).toEqual(['web.demo.internal', 'www.demo.internal']);
    expect(a.flag_aa).toBe(true);
  });

  it('says NXDOMAIN for an unknown address of the zone subnets and forwards others', () => {
    expect(ask(query('99.0.89.10.in-addr.arpa', 'PTR')).rcode).toBe('NXDOMAIN');
    expect(answerQuery(query('1.1.168.192.in-addr.arpa', 'PTR'), context())).toEqual({ kind: 'forward' });
    expect(answerQuery(query('0.89.10.in-addr.arpa', 'PTR'), context())).toEqual({ kind: 'forward' });
  });

  it('answers an address in the store even outside the given subnets', () => {
    expect(dataOf(ask(query('3.0.89.10.in-addr.arpa', 'PTR'), context({ subnets: [] })))).toEqual(['db.demo.internal']);
  });
});

describe('answerQuery: other names', () => {
  it('forwards names outside the zone, other zones of the domain included', () => {
    for (const name of ['example.com', 'web.other.internal', 'internal', 'demo.internal.example']) {
      expect(answerQuery(query(name, 'A'), context())).toEqual({ kind: 'forward' });
    }
  });

  it('refuses them when forwarding is off, without RA', () => {
    const a = ask(query('example.com', 'A'), context({ forward: false }));
    expect(a.rcode).toBe('REFUSED');
    expect(a.flag_ra).toBe(false);
    expect(a.questions).toEqual([{ name: 'example.com', type: 'A', class: 'IN' }]);
    expect(ask(query('web.demo.internal', 'A'), context({ forward: false })).flag_ra).toBe(false);
  });

  it('makes SERVFAIL for a forward nobody answered', () => {
    const bytes = failureResponse(query('example.com', 'A'), RCODE.SERVFAIL);
    const a = dnsPacket.decode(bytes!) as DecodedPacket & { rcode: string };
    expect(a.rcode).toBe('SERVFAIL');
    expect(a.id).toBe(0x1234);
    expect(a.flag_ra).toBe(true);
    expect(a.questions).toEqual([{ name: 'example.com', type: 'A', class: 'IN' }]);
    expect(failureResponse(Buffer.alloc(5), RCODE.SERVFAIL)).toBeUndefined();
  });
});

describe('answerQuery: EDNS and size', () => {
  const opt = (udpPayloadSize: number) => ({
    additionals: [
      { type: 'OPT' as const, name: '.', udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
    ],
  });
  const many: NameEntry[] = Array.from({ length: 30 }, (_, i) => ({
    name: 'big',
    addresses: [`10.89.1.${i + 1}`],
    owner: attachment(`c${i}`),
  }));

  it('answers EDNS with EDNS', () => {
    const a = ask(query('web.demo.internal', 'A', opt(4096)));
    expect(a.additionals?.map((r) => r.type)).toEqual(['OPT']);
    expect(ask(query('web.demo.internal', 'A')).additionals).toEqual([]);
  });

  it('truncates over UDP past 512 bytes, or past the EDNS size, and not over TCP', () => {
    const ctx = context({ names: buildNameTable(many) });
    const udp = ask(query('big.demo.internal', 'A'), ctx);
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    const edns = ask(query('big.demo.internal', 'A', opt(4096)), ctx);
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers).toHaveLength(30);
    const tcp = ask(query('big.demo.internal', 'A'), { ...ctx, transport: 'tcp' });
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(30);
  });
});

describe('answerQuery: what is not a plain query', () => {
  it('drops responses and runts', () => {
    expect(answerQuery(Buffer.alloc(11), context())).toEqual({ kind: 'drop' });
    const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'web.demo.internal', type: 'A' }] });
    expect(answerQuery(response, context())).toEqual({ kind: 'drop' });
  });

  it('says FORMERR for a query it cannot read, or one without exactly one question', () => {
    const header = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    const broken = ask(Buffer.concat([header, Buffer.from([5, 0x61])]));
    expect(broken.rcode).toBe('FORMERR');
    expect(broken.id).toBe(0xabcd);
    expect(broken.questions).toEqual([]);
    expect(ask(dnsPacket.encode({ type: 'query', id: 7, questions: [] })).rcode).toBe('FORMERR');
    const two = dnsPacket.encode({
      type: 'query',
      id: 7,
      questions: [
        { name: 'web.demo.internal', type: 'A' },
        { name: 'db.demo.internal', type: 'A' },
      ],
    });
    expect(ask(two).rcode).toBe('FORMERR');
  });

  it('answers a query whose extra records it cannot read from its question alone', () => {
    const good = query('web.demo.internal', 'A');
    good.writeUInt16BE(1, 10); // one additional record, which is not there
    expect(dataOf(ask(good))).toEqual(['10.89.0.2']);
  });

  it('says NOTIMP for other opcodes, echoing the opcode', () => {
    const notify = query('web.demo.internal', 'SOA');
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    const a = ask(notify);
    expect(a.rcode).toBe('NOTIMP');
    expect((a.flags! >> 11) & 0xf).toBe(4);
  });

  it('echoes no question it cannot write back as it came (a label holding a dot)', () => {
    const header = Buffer.from([0, 9, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    const name = Buffer.from([3, 0x61, 0x2e, 0x62, 4, ...Buffer.from('demo'), 8, ...Buffer.from('internal'), 0]);
    const bytes = Buffer.concat([header, name, Buffer.from([0, 1, 0, 1])]);
    const a = ask(bytes, context({ forward: false }));
    expect(a.rcode).toBe('NXDOMAIN');
    expect(a.questions).toEqual([]);
  });

  it('never throws, whatever the bytes', () => {
    const ctx = context();
    const asQuery = (bytes: Uint8Array) => {
      const buffer = Buffer.from(bytes);
      if (buffer.length >= 4) buffer[2] = (buffer[2] ?? 0) & 0x7f; // mostly queries, so the parser is reached
      return buffer;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const outcome = answerQuery(asQuery(bytes), ctx);
        if (outcome.kind === 'answer') expect(() => dnsPacket.decode(outcome.response)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    // Valid queries with random names and types, mutated in one byte.
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9-]{1,20}(\.[a-z0-9-]{1,20}){0,3}$/),
        fc.constantFrom<RecordType>('A', 'AAAA', 'PTR', 'MX', 'SOA', 'TXT'),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (name, type, at, value) => {
          const bytes = query(`${name}.demo.internal`, type);
          bytes[at % bytes.length] = value;
          const outcome = answerQuery(bytes, ctx);
          expect(['answer', 'forward', 'drop']).toContain(outcome.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
