import { describe, expect, it } from 'vitest';
import { decodeEntry, deleteRequest, dumpRequest, IPPROTO_UDP } from '../../../lib/conntrack/messages.js';
import { parseAddress } from '../../../lib/ip/index.js';
import { decodeAttributes, findAttribute } from '../../../lib/rtnl/attributes.js';
import { NLM_F_DUMP } from '../../../lib/rtnl/netlink.js';
import { entryMessage } from './fake-kernel.js';

const nested = (body: Buffer, ...path: number[]): Buffer | undefined =>
  path.reduce<Buffer | undefined>((at, type) => (at === undefined ? undefined : findAttribute(decodeAttributes(at), type)), body);

describe('dumpRequest', () => {
  it('asks ctnetlink for the entries of a family and protocol, filtered in the kernel', () => {
    const request = dumpRequest({ family: 6, protocol: IPPROTO_UDP });
    expect(request.type).toBe(0x101); // NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET
    expect(request.flags).toBe(NLM_F_DUMP);
    expect([...request.body.subarray(0, 4)]).toEqual([10, 0, 0, 0]); // AF_INET6, NFNETLINK_V0
    const body = request.body.subarray(4);
    expect(nested(body, 1, 2, 1)).toEqual(Buffer.from([17])); // orig tuple → proto → CTA_PROTO_NUM
    expect(nested(body, 1, 2, 3)).toBeUndefined();
    expect(nested(body, 25, 1)?.readUInt32LE(0)).toBe(1 << 3); // CTA_FILTER → ORIG_FLAGS: PROTO_NUM
    // nests carry NLA_F_NESTED, as libnetfilter_conntrack sends them
    expect(request.body.readUInt16LE(4 + 2)).toBe(0x8001);
  });

  it('adds the destination port, in network byte order, to the tuple and the filter', () => {
    const body = dumpRequest({ family: 4, protocol: IPPROTO_UDP, destinationPort: 0x1f90 }).body;
    expect(body[0]).toBe(2);
    expect(nested(body.subarray(4), 1, 2, 3)).toEqual(Buffer.from([0x1f, 0x90]));
    expect(nested(body.subarray(4), 25, 1)?.readUInt32LE(0)).toBe((1 << 3) | (1 << 5));
  });
});

describe('decodeEntry and deleteRequest', () => {
  const flow = {
    family: 4 as const,
    protocol: IPPROTO_UDP,
    source: '192.0.2.2',
    sourcePort: 4000,
    destination: '192.0.2.1',
    destinationPort: 8080,
    id: 77,
  };

  it('reads where a flow first went', () => {
    expect(decodeEntry(entryMessage(flow))).toMatchObject({
      family: 4,
      protocol: IPPROTO_UDP,
      destination: parseAddress('192.0.2.1'),
      destinationPort: 8080,
    });
    expect(decodeEntry(entryMessage({ ...flow, family: 6, source: '2001:db8::2', destination: '2001:db8::1' }))?.destination).toEqual(
      parseAddress('2001:db8::1'),
    );
  });

  it('deletes by the original tuple, the id and the zone, exactly as the kernel sent them', () => {
    const message = entryMessage({ ...flow, zone: 3 });
    const entry = decodeEntry(message)!;
    const request = deleteRequest(entry);
    expect(request.type).toBe(0x102); // IPCTNL_MSG_CT_DELETE
    const sent = decodeAttributes(request.body.subarray(4));
    const got = decodeAttributes(message.body.subarray(4));
    expect(sent.map((a) => a.type)).toEqual([1, 12, 18]);
    for (const type of [1, 12, 18]) expect(findAttribute(sent, type)).toEqual(findAttribute(got, type));
    expect(request.body.readUInt16LE(4 + 2) & 0x8000).toBe(0x8000);
  });

  it('skips other messages and entries without ports', () => {
    expect(decodeEntry({ type: 0x101, flags: 0, body: entryMessage(flow).body })).toBeUndefined();
    expect(decodeEntry({ type: 0x100, flags: 0, body: Buffer.from([2, 0, 0, 0]) })).toBeUndefined();
  });
});
