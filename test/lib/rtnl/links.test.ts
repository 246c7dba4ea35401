import { describe, expect, it } from 'vitest';
import {
  decodeAttributes,
  decodeString,
  findAttribute,
  nestedAttribute,
  readU32,
  stringAttribute,
  u8Attribute,
} from '../../../lib/rtnl/attributes.js';
import { isExists, isNotFound, isRtnlError } from '../../../lib/rtnl/errors.js';
import {
  bridgeRequest,
  createBridge,
  createVeth,
  deleteLink,
  deleteLinkIfExists,
  formatMac,
  getLink,
  getLinkByIndex,
  hairpinRequest,
  listLinks,
  parseLink,
  parseLinkInfo,
  parseMac,
  resolveIndex,
  setDown,
  setHairpin,
  setMaster,
  setMtu,
  setMac,
  setUp,
  vethRequest,
} from '../../../lib/rtnl/links.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../../../lib/rtnl/socket.js';
import { fakeSocket, kernelRejects, linkMessage } from './fake-socket.js';

const attrsOf = (buffer: unknown) => decodeAttributes(buffer as Buffer);
const stringIn = (buffer: Buffer, type: number) => decodeString(findAttribute(attrsOf(buffer), type)!);

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
  it('is a link of kind bridge with name, MTU and MAC', () => {
    const built = bridgeRequest('vz-web', { mtu: 1400, mac: '02:00:00:00:00:01' });
    expect(built.data).toEqual({});
    expect(built.attrs.ifname).toBe('vz-web');
    expect(built.attrs.mtu).toBe(1400);
    expect(formatMac(built.attrs.address!)).toBe('02:00:00:00:00:01');
    expect(stringIn(built.attrs.linkinfo!, 1)).toBe('bridge');
  });

  it('leaves out what is not given', () => {
    expect(Object.keys(bridgeRequest('br0').attrs).sort()).toEqual(['ifname', 'linkinfo']);
  });

  it.each(['', 'a'.repeat(16), 'a/b', 'a b', 'a:b', '..'])('rejects the name %j', (name) => {
    expect(() => bridgeRequest(name)).toThrow(/invalid interface name/);
  });

  it.each([0, 67, 65536, 1500.5])('rejects MTU %d', (mtu) => {
    expect(() => bridgeRequest('br0', { mtu })).toThrow(/MTU/);
  });
});

describe('vethRequest', () => {
  const built = vethRequest({ name: 'vh0', peerName: 'eth0', peerNetns: 17, mtu: 1400, mac: '02:00:00:00:00:01', peerMac: '02:00:00:00:00:42' });
  const linkinfo = attrsOf(built.attrs.linkinfo);
  const peer = findAttribute(attrsOf(findAttribute(linkinfo, 2)), 1)!;
  const peerAttrs = attrsOf(peer.subarray(16));

  it('names and sizes the local end', () => {
    expect(built.attrs.ifname).toBe('vh0');
    expect(built.attrs.mtu).toBe(1400);
    expect(formatMac(built.attrs.address!)).toBe('02:00:00:00:00:01');
    expect(decodeString(findAttribute(linkinfo, 1)!)).toBe('veth');
  });

  it('puts the peer in VETH_INFO_PEER: an empty ifinfomsg, then name, MTU, MAC and IFLA_NET_NS_FD', () => {
    expect(peer.subarray(0, 16).equals(Buffer.alloc(16))).toBe(true);
    expect(peerAttrs.map((a) => a.type)).toEqual([3, 4, 1, 28]);
    expect(decodeString(findAttribute(peerAttrs, 3)!)).toBe('eth0');
    expect(readU32(findAttribute(peerAttrs, 4)!)).toBe(1400);
    expect(formatMac(findAttribute(peerAttrs, 1)!)).toBe('02:00:00:00:00:42');
    expect(readU32(findAttribute(peerAttrs, 28)!)).toBe(17);
  });

  it('takes the fd of a namespace handle and omits what is not given', () => {
    const handle = { path: '/run/netns/x', fd: 23, inode: 1, closed: false, close() {} };
    const minimal = vethRequest({ name: 'vh0', peerName: 'eth0', peerNetns: handle });
    const peerOf = findAttribute(attrsOf(findAttribute(attrsOf(minimal.attrs.linkinfo), 2)), 1)!;
    const attrs = attrsOf(peerOf.subarray(16));
    expect(attrs.map((a) => a.type)).toEqual([3, 28]);
    expect(readU32(findAttribute(attrs, 28)!)).toBe(23);
    expect(Object.keys(minimal.attrs).sort()).toEqual(['ifname', 'linkinfo']);
  });

  it('validates both names', () => {
    expect(() => vethRequest({ name: 'vh0', peerName: 'a'.repeat(16) })).toThrow(/invalid interface name/);
    expect(() => vethRequest({ name: 'a/b', peerName: 'eth0' })).toThrow(/invalid interface name/);
  });
});

describe('hairpinRequest', () => {
  it('sets IFLA_BRPORT_MODE as bridge slave data of the port', () => {
    const built = hairpinRequest(7, true);
    expect(built.data).toEqual({ index: 7 });
    const linkinfo = attrsOf(built.attrs.linkinfo);
    expect(decodeString(findAttribute(linkinfo, 4)!)).toBe('bridge');
    const slaveData = attrsOf(findAttribute(linkinfo, 5));
    expect([...findAttribute(slaveData, 4)!]).toEqual([1]);
    expect([...findAttribute(attrsOf(findAttribute(attrsOf(hairpinRequest(7, false).attrs.linkinfo), 5)), 4)!]).toEqual([0]);
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
      { mtu: 1400, address: parseMac('02:00:00:00:00:01'), master: 3, linkinfo: portInfo, linkNetnsid: 0 },
      { up: true },
    );
    expect(parseLink(message as never)).toEqual({
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
    });
  });

  it('leaves out what a plain link does not have', () => {
    const link = parseLink(linkMessage(1, 'lo', { address: Buffer.alloc(0), master: 0 }) as never);
    expect(link).toMatchObject({ index: 1, name: 'lo', up: false, kind: undefined, mac: undefined, master: undefined, hairpin: undefined });
  });
});

describe('link operations', () => {
  it('getLink asks by name and answers undefined for ENODEV', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(4, 'eth0')], kernelRejects('ENODEV'));
    expect((await getLink(fake.socket, 'eth0'))?.index).toBe(4);
    expect(await getLink(fake.socket, 'eth9')).toBeUndefined();
    expect(fake.sent[0]).toMatchObject({ method: 'getLink', data: {}, attrs: { ifname: 'eth0' } });
  });

  it('getLink passes other failures on', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects('EPERM'));
    const error = await getLink(fake.socket, 'eth0').catch((e: unknown) => e);
    expect(isRtnlError(error) && error.errno).toBe('EPERM');
  });

  it('getLinkByIndex and listLinks', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects('ENODEV'));
    fake.answer('getLinks', [linkMessage(1, 'lo'), linkMessage(2, 'br0')]);
    expect(await getLinkByIndex(fake.socket, 99)).toBeUndefined();
    expect(fake.sent[0]?.data).toEqual({ index: 99 });
    expect((await listLinks(fake.socket)).map((l) => l.name)).toEqual(['lo', 'br0']);
  });

  it('creates with CREATE|EXCL and returns the link read back', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(9, 'br0', { linkinfo: stringAttribute(1, 'bridge') })]);
    const link = await createBridge(fake.socket, 'br0', { mtu: 1400 });
    expect(link).toMatchObject({ index: 9, name: 'br0', kind: 'bridge' });
    expect(fake.sent[0]?.method).toBe('newLink');
    expect(fake.sent[0]?.options?.flags).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(fake.sent[0]?.options?.timeout).toBeGreaterThan(0);
  });

  it('reports a taken name as isExists', async () => {
    const fake = fakeSocket();
    fake.answer('newLink', kernelRejects('EEXIST'));
    const error = await createVeth(fake.socket, { name: 'vh0', peerName: 'eth0' }).catch((e: unknown) => e);
    expect(isExists(error)).toBe(true);
    expect((error as Error).message).toBe('create veth vh0: EEXIST');
  });

  it('resolves names to indexes, and a missing name is isNotFound', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(4, 'eth0')], kernelRejects('ENODEV'));
    expect(await resolveIndex(fake.socket, 'eth0')).toBe(4);
    expect(await resolveIndex(fake.socket, 7)).toBe(7);
    expect(isNotFound(await resolveIndex(fake.socket, 'eth9').catch((e: unknown) => e))).toBe(true);
    expect(fake.sent).toHaveLength(2);
  });

  it('sets up, down, MTU, MAC and master through RTM_SETLINK', async () => {
    const fake = fakeSocket();
    await setUp(fake.socket, 3);
    await setDown(fake.socket, 3);
    await setMtu(fake.socket, 3, 9000);
    await setMac(fake.socket, 3, '02:00:00:00:00:07');
    await setMaster(fake.socket, 3, 9);
    await setMaster(fake.socket, 3, undefined);
    expect(fake.sent.map((s) => s.method)).toEqual(Array(6).fill('setLink'));
    expect(fake.sent[0]).toMatchObject({ data: { index: 3, flags: { up: true }, change: { up: true } }, attrs: {} });
    expect(fake.sent[1]).toMatchObject({ data: { index: 3, flags: {}, change: { up: true } } });
    expect(fake.sent[2]?.attrs).toEqual({ mtu: 9000 });
    expect(formatMac(fake.sent[3]?.attrs.address as Buffer)).toBe('02:00:00:00:00:07');
    expect(fake.sent[4]?.attrs).toEqual({ master: 9 });
    expect(fake.sent[5]?.attrs).toEqual({ master: 0 });
  });

  it('sets hairpin through RTM_NEWLINK without CREATE', async () => {
    const fake = fakeSocket();
    await setHairpin(fake.socket, { index: 5 } as never, true);
    expect(fake.sent[0]?.method).toBe('newLink');
    expect(fake.sent[0]?.data).toEqual({ index: 5 });
    expect(fake.sent[0]?.options?.flags).toBeUndefined();
  });

  it('deletes by name in one request, by index, and tolerates absence when asked', async () => {
    const fake = fakeSocket();
    fake.answer('delLink', [], kernelRejects('ENODEV'));
    await deleteLink(fake.socket, 'vh0');
    expect(fake.sent[0]).toMatchObject({ method: 'delLink', data: {}, attrs: { ifname: 'vh0' } });
    expect(await deleteLinkIfExists(fake.socket, 12)).toBe(false);
    expect(fake.sent[1]?.data).toEqual({ index: 12 });
    expect(isNotFound(await deleteLink(fake.socket, 'vh0').catch((e: unknown) => e))).toBe(true);
  });

  it('deleteLinkIfExists passes other failures on', async () => {
    const fake = fakeSocket();
    fake.answer('delLink', kernelRejects('EPERM'));
    expect(isRtnlError(await deleteLinkIfExists(fake.socket, 'vh0').catch((e: unknown) => e))).toBe(true);
  });
});
