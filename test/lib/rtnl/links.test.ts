import { describe, expect, it } from 'vitest';
import {
  attribute,
  decodeAttributes,
  decodeInterfaceInfoHeader,
  decodeString,
  findAttribute,
  findString,
  findU32,
  nestedAttribute,
  readU32,
  stringAttribute,
  u32Attribute,
  u8Attribute,
  type RawAttribute,
} from '../../../lib/rtnl/attributes.js';
import { isRtnlExists, isRtnlNotFound, isRtnlError } from '../../../lib/rtnl/errors.js';
import {
  bridgeRequest,
  createBridge,
  createVeth,
  deleteLink,
  deleteLinkIfExists,
  formatMac,
  getLink,
  getLinkByIndex,
  getLinkRequest,
  hairpinRequest,
  listLinks,
  listLinksRequest,
  parseLink,
  parseLinkInfo,
  parseMac,
  readLink,
  readLinks,
  resolveIndex,
  RTM_NEWLINK,
  setHairpin,
  setMaster,
  setUp,
  vethRequest,
} from '../../../lib/rtnl/links.js';
import { encodeRequest, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL } from '../../../lib/rtnl/netlink.js';
import { EEXIST, ENODEV, EPERM, fakeSocket, kernelRejects, linkMessage } from './fake-socket.js';
import { le, sentByIp } from './ip-captures.js';

// linux/if_link.h
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_IFALIAS = 20;
const IFLA_NET_NS_FD = 28;
const IFLA_EXT_MASK = 29;
const IFLA_LINK_NETNSID = 37;

/** The ifinfomsg and the attributes of a link message (request or answer). */
function decodeLink(body: Buffer) {
  return { header: decodeInterfaceInfoHeader(body)!, attributes: decodeAttributes(body.subarray(16)) };
}

const nested = (attributes: readonly RawAttribute[], ...path: number[]) =>
  path.reduce((level, type) => decodeAttributes(findAttribute(level, type)!), attributes);

describe('MAC addresses', () => {
  it('round-trip', () => {
    expect([...parseMac('02:AB:00:00:00:42')]).toEqual([2, 0xab, 0, 0, 0, 0x42]);
    expect(formatMac(parseMac('02:AB:00:00:00:42'))).toBe('02:ab:00:00:00:42');
  });

  it.each(['02:ab:00:00:00', '02-ab-00-00-00-42', '02:ab:00:00:00:4g', ''])('rejects %j', (mac) => {
    expect(() => parseMac(mac)).toThrow(/not a MAC address/);
  });
});

describe('bridgeRequest', () => {
  it.runIf(le)('is byte for byte what `ip link add br0 mtu 1400 type bridge` sends', () => {
    expect(encodeRequest(bridgeRequest('br0', { mtu: 1400 }), sentByIp.seq)).toEqual(sentByIp.bridge);
  });

  it('creates (CREATE|EXCL) a link of kind bridge with name, MTU and MAC', () => {
    const request = bridgeRequest('vz-web', { mtu: 1400, mac: '02:00:00:00:00:01' });
    expect(request).toMatchObject({ type: RTM_NEWLINK, flags: NLM_F_CREATE | NLM_F_EXCL });
    const { header, attributes } = decodeLink(request.body);
    expect(header).toEqual({ family: 0, type: 0, index: 0, flags: 0, change: 0 });
    expect(findString(attributes, IFLA_IFNAME)).toBe('vz-web');
    expect(findU32(attributes, IFLA_MTU)).toBe(1400);
    expect(formatMac(findAttribute(attributes, IFLA_ADDRESS)!)).toBe('02:00:00:00:00:01');
    expect(findString(nested(attributes, IFLA_LINKINFO), 1)).toBe('bridge');
  });

  it('leaves out what is not given', () => {
    expect(decodeLink(bridgeRequest('br0').body).attributes.map((a) => a.type)).toEqual([IFLA_IFNAME, IFLA_LINKINFO]);
  });

  it.each(['', 'a'.repeat(16), 'a/b', 'a b', 'a:b', '..'])('rejects the name %j', (name) => {
    expect(() => bridgeRequest(name)).toThrow(/invalid interface name/);
  });

  it.each([0, 67, 65536, 1500.5])('rejects MTU %d', (mtu) => {
    expect(() => bridgeRequest('br0', { mtu })).toThrow(/MTU/);
  });
});

describe('vethRequest', () => {
  it.runIf(le)('is byte for byte what `ip link add vh0 ... type veth peer name eth0 ...` sends', () => {
    const request = vethRequest({ name: 'vh0', peerName: 'eth0', mtu: 1400, mac: '02:00:00:00:00:01', peerMac: '02:00:00:00:00:42' });
    expect(encodeRequest(request, sentByIp.seq)).toEqual(sentByIp.veth);
  });

  const request = vethRequest({ name: 'vh0', peerName: 'eth0', peerNetns: 17, mtu: 1400 });
  const { attributes } = decodeLink(request.body);
  const peer = findAttribute(nested(attributes, IFLA_LINKINFO, 2), 1)!;
  const peerAttributes = decodeAttributes(peer.subarray(16));

  it('names and sizes the local end', () => {
    expect(findString(attributes, IFLA_IFNAME)).toBe('vh0');
    expect(findU32(attributes, IFLA_MTU)).toBe(1400);
    expect(decodeString(findAttribute(nested(attributes, IFLA_LINKINFO), 1)!)).toBe('veth');
  });

  it('puts the peer in VETH_INFO_PEER: an empty ifinfomsg, then MTU, name and IFLA_NET_NS_FD', () => {
    expect(peer.subarray(0, 16).equals(Buffer.alloc(16))).toBe(true);
    expect(peerAttributes.map((a) => a.type)).toEqual([IFLA_MTU, IFLA_IFNAME, IFLA_NET_NS_FD]);
    expect(findString(peerAttributes, IFLA_IFNAME)).toBe('eth0');
    expect(readU32(findAttribute(peerAttributes, IFLA_NET_NS_FD)!)).toBe(17);
  });

  it('takes the fd of a namespace handle', () => {
    const handle = { path: '/run/netns/x', fd: 23, inode: 1, closed: false, close() {} };
    const minimal = decodeLink(vethRequest({ name: 'vh0', peerName: 'eth0', peerNetns: handle }).body).attributes;
    const peerOf = decodeAttributes(findAttribute(nested(minimal, IFLA_LINKINFO, 2), 1)!.subarray(16));
    expect(peerOf.map((a) => a.type)).toEqual([IFLA_IFNAME, IFLA_NET_NS_FD]);
    expect(findU32(peerOf, IFLA_NET_NS_FD)).toBe(23);
  });

  it('validates both names', () => {
    expect(() => vethRequest({ name: 'vh0', peerName: 'a'.repeat(16) })).toThrow(/invalid interface name/);
    expect(() => vethRequest({ name: 'a/b', peerName: 'eth0' })).toThrow(/invalid interface name/);
  });
});

describe('hairpinRequest', () => {
  it('sets IFLA_BRPORT_MODE as bridge slave data of the port, without CREATE', () => {
    const request = hairpinRequest(7, true);
    expect(request).toMatchObject({ type: RTM_NEWLINK, flags: 0 });
    const { header, attributes } = decodeLink(request.body);
    expect(header.index).toBe(7);
    const linkinfo = nested(attributes, IFLA_LINKINFO);
    expect(findString(linkinfo, 4)).toBe('bridge');
    expect([...findAttribute(nested(linkinfo, 5), 4)!]).toEqual([1]);
    expect([...findAttribute(nested(decodeLink(hairpinRequest(7, false).body).attributes, IFLA_LINKINFO, 5), 4)!]).toEqual([0]);
  });
});

describe('getLinkRequest', () => {
  it('asks by name or index, without statistics', () => {
    const byName = decodeLink(getLinkRequest('eth0').body);
    expect(byName.header.index).toBe(0);
    expect(findString(byName.attributes, IFLA_IFNAME)).toBe('eth0');
    expect(findU32(byName.attributes, IFLA_EXT_MASK)).toBe(8); // RTEXT_FILTER_SKIP_STATS
    const byIndex = decodeLink(getLinkRequest(9).body);
    expect(byIndex.header.index).toBe(9);
    expect(byIndex.attributes.map((a) => a.type)).toEqual([IFLA_EXT_MASK]);
  });
});

describe('parseLinkInfo / parseLink', () => {
  const portInfo = Buffer.concat([
    stringAttribute(1, 'veth'),
    stringAttribute(4, 'bridge'),
    nestedAttribute(5, [u8Attribute(1, 3), u8Attribute(4, 1)]),
  ]);

  it('reads kind, port kind and hairpin', () => {
    expect(parseLinkInfo(portInfo)).toEqual({ kind: 'veth', portKind: 'bridge', hairpin: true });
    expect(parseLinkInfo(stringAttribute(1, 'bridge'))).toEqual({ kind: 'bridge' });
    expect(parseLinkInfo(undefined)).toEqual({});
  });

  it('turns a kernel link message into a Link', () => {
    const message = linkMessage(
      5,
      'vh0',
      [
        u32Attribute(IFLA_MTU, 1400),
        attribute(IFLA_ADDRESS, parseMac('02:00:00:00:00:01')),
        u32Attribute(IFLA_MASTER, 3),
        nestedAttribute(IFLA_LINKINFO, [portInfo]),
        u32Attribute(IFLA_LINK_NETNSID, 0),
        u32Attribute(IFLA_LINK, 2),
        stringAttribute(IFLA_IFALIAS, 'cni-zones/c1'),
      ],
      { flags: 0x1 | 0x1000 },
    );
    expect(parseLink(message.body)).toEqual({
      index: 5,
      name: 'vh0',
      kind: 'veth',
      mtu: 1400,
      mac: '02:00:00:00:00:01',
      up: true,
      master: 3,
      portKind: 'bridge',
      hairpin: true,
      peerNetnsId: 0,
      peerIndex: 2,
      alias: 'cni-zones/c1',
    });
  });

  it('leaves out what a plain link does not have', () => {
    const link = parseLink(linkMessage(1, 'lo', [u32Attribute(IFLA_MASTER, 0), stringAttribute(IFLA_IFALIAS, '')]).body);
    expect(link).toMatchObject({ index: 1, name: 'lo', up: false, kind: undefined, mac: undefined, master: undefined });
    expect(link).toMatchObject({ hairpin: undefined, alias: undefined, peerNetnsId: undefined, peerIndex: undefined });
    expect(parseLink(Buffer.alloc(8))).toBeUndefined();
  });
});

describe('link operations', () => {
  it('getLink asks by name and answers undefined for ENODEV', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(4, 'eth0')], kernelRejects(ENODEV));
    expect((await getLink(fake.socket, 'eth0'))?.index).toBe(4);
    expect(await getLink(fake.socket, 'eth9')).toBeUndefined();
    expect(fake.sent[0]).toMatchObject({ method: 'getLink', operation: 'get link eth0' });
    expect(findString(decodeLink(fake.sent[0]!.body).attributes, IFLA_IFNAME)).toBe('eth0');
  });

  it('getLink passes other failures on', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects(EPERM));
    const error = await getLink(fake.socket, 'eth0').catch((e: unknown) => e);
    expect(isRtnlError(error) && error.errno).toBe('EPERM');
  });

  it('getLinkByIndex and listLinks (a dump)', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects(ENODEV));
    fake.answer('getLinks', [linkMessage(1, 'lo'), linkMessage(2, 'br0')]);
    expect(await getLinkByIndex(fake.socket, 99)).toBeUndefined();
    expect(decodeLink(fake.sent[0]!.body).header.index).toBe(99);
    expect((await listLinks(fake.socket)).map((l) => l.name)).toEqual(['lo', 'br0']);
    expect(fake.sent[1]?.flags).toBe(NLM_F_DUMP);
  });

  it('lists the ports of one master: IFLA_MASTER in the dump request, and filtered on our side too', async () => {
    const request = decodeLink(listLinksRequest({ master: 9 }).body);
    expect(request.header).toEqual({ family: 0, type: 0, index: 0, flags: 0, change: 0 });
    expect(request.attributes.map((a) => a.type)).toEqual([IFLA_MASTER, IFLA_EXT_MASK]);
    expect(findU32(request.attributes, IFLA_MASTER)).toBe(9);
    expect(decodeLink(listLinksRequest().body).attributes.map((a) => a.type)).toEqual([IFLA_EXT_MASK]);

    const fake = fakeSocket();
    // A kernel that ignores the filter sends every link.
    fake.answer('getLinks', [
      linkMessage(1, 'lo'),
      linkMessage(5, 'vb-db', [u32Attribute(IFLA_MASTER, 9)]),
      linkMessage(6, 'x', [u32Attribute(IFLA_MASTER, 8)]),
    ]);
    expect(readLinks(fake.socket, { master: 9 }).map((l) => l.name)).toEqual(['vb-db']);
    expect(fake.sent[0]).toMatchObject({ method: 'getLinks', operation: 'list the ports of link #9' });
    expect((await listLinks(fake.socket, { master: 8 })).map((l) => l.name)).toEqual(['x']);
    expect(readLinks(fake.socket).map((l) => l.name)).toEqual(['lo', 'vb-db', 'x']);
  });

  it('readLink answers at once, undefined for ENODEV, and refuses a bad name before sending', () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(9, 'vz-web')], kernelRejects(ENODEV));
    expect(readLink(fake.socket, 'vz-web')?.index).toBe(9);
    expect(readLink(fake.socket, 'vz-gone')).toBeUndefined();
    expect(() => readLink(fake.socket, 'a/b')).toThrow(/invalid interface name/);
    expect(fake.sent).toHaveLength(2);
  });

  it('creates, then returns the link read back', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(9, 'br0', [nestedAttribute(IFLA_LINKINFO, [stringAttribute(1, 'bridge')])])]);
    const link = await createBridge(fake.socket, 'br0', { mtu: 1400 });
    expect(link).toMatchObject({ index: 9, name: 'br0', kind: 'bridge' });
    expect(fake.sent.map((s) => s.method)).toEqual(['newLink', 'getLink']);
    expect(fake.sent[0]?.operation).toBe('create bridge br0');
  });

  it('reports a taken name as isRtnlExists', async () => {
    const fake = fakeSocket();
    fake.answer('newLink', kernelRejects(EEXIST));
    const error = await createVeth(fake.socket, { name: 'vh0', peerName: 'eth0' }).catch((e: unknown) => e);
    expect(isRtnlExists(error)).toBe(true);
    expect((error as Error).message).toBe('create veth vh0: EEXIST');
  });

  it('sets the alias of a new veth with a change, since creation ignores it', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(6, 'vh0')]);
    const link = await createVeth(fake.socket, { name: 'vh0', peerName: 'eth0', alias: 'cni-zones/c1' });
    expect(link.alias).toBe('cni-zones/c1');
    expect(fake.sent.map((s) => s.method)).toEqual(['newLink', 'getLink', 'setLink']);
    const change = decodeLink(fake.sent[2]!.body);
    expect(change.header.index).toBe(6);
    expect(findString(change.attributes, IFLA_IFALIAS)).toBe('cni-zones/c1');
  });

  it('resolves names to indexes, and a missing name is isRtnlNotFound', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(4, 'eth0')], kernelRejects(ENODEV));
    expect(await resolveIndex(fake.socket, 'eth0')).toBe(4);
    expect(await resolveIndex(fake.socket, 7)).toBe(7);
    expect(isRtnlNotFound(await resolveIndex(fake.socket, 'eth9').catch((e: unknown) => e))).toBe(true);
    expect(fake.sent).toHaveLength(2);
  });

  it('sets up and master through RTM_SETLINK', async () => {
    const fake = fakeSocket();
    await setUp(fake.socket, 3);
    await setMaster(fake.socket, 3, 9);
    await setMaster(fake.socket, 3, undefined);
    expect(fake.sent.map((s) => s.method)).toEqual(Array(3).fill('setLink'));
    const sent = fake.sent.map((s) => decodeLink(s.body));
    expect(sent[0]).toEqual({ header: { family: 0, type: 0, index: 3, flags: 1, change: 1 }, attributes: [] });
    expect(findU32(sent[1]!.attributes, IFLA_MASTER)).toBe(9);
    expect(findU32(sent[2]!.attributes, IFLA_MASTER)).toBe(0);
    expect(sent.slice(1).every((s) => s.header.change === 0)).toBe(true);
  });

  it('sets hairpin through RTM_NEWLINK on the port index', async () => {
    const fake = fakeSocket();
    await setHairpin(fake.socket, { index: 5 } as never, true);
    expect(fake.sent[0]).toMatchObject({ method: 'newLink', flags: 0 });
    expect(decodeLink(fake.sent[0]!.body).header.index).toBe(5);
  });

  it('deletes by name in one request, by index, and tolerates absence when asked', async () => {
    const fake = fakeSocket();
    fake.answer('delLink', [], kernelRejects(ENODEV));
    await deleteLink(fake.socket, 'vh0');
    expect(fake.sent[0]?.method).toBe('delLink');
    expect(findString(decodeLink(fake.sent[0]!.body).attributes, IFLA_IFNAME)).toBe('vh0');
    expect(await deleteLinkIfExists(fake.socket, 12)).toBe(false);
    expect(decodeLink(fake.sent[1]!.body)).toMatchObject({ header: { index: 12 }, attributes: [] });
    expect(isRtnlNotFound(await deleteLink(fake.socket, 'vh0').catch((e: unknown) => e))).toBe(true);
  });

  it('deleteLinkIfExists passes other failures on', async () => {
    const fake = fakeSocket();
    fake.answer('delLink', kernelRejects(EPERM));
    expect(isRtnlError(await deleteLinkIfExists(fake.socket, 'vh0').catch((e: unknown) => e))).toBe(true);
  });
});
