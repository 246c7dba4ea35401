import { describe, expect, it, vi } from 'vitest';
import { decodeAddressHeader } from '../../../lib/rtnl/addresses.js';
import { decodeAttributes, findI32, findU32, u32Attribute } from '../../../lib/rtnl/attributes.js';
import { Rtnl } from '../../../lib/rtnl/client.js';
import { isRtnlError, isRtnlNotFound } from '../../../lib/rtnl/errors.js';
import { ENODEV, fakeSocket, kernelRejects, linkMessage } from './fake-socket.js';

const RTA_OIF = 4;
const IFA_TARGET_NETNSID = 10;
const IFLA_MASTER = 10;

describe('Rtnl', () => {
  it('resolves link names once per call and passes indexes on', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', [linkMessage(4, 'eth0')]);
    const rt = new Rtnl(fake.socket);
    await rt.addAddress('eth0', '10.0.0.2/24');
    await rt.addRoute({ dst: 'default', gw: '10.0.0.1', dev: 'eth0' });
    await rt.listRoutes('eth0');
    await rt.deleteAddress(4, '10.0.0.2/24');
    expect(fake.sent.map((s) => s.method)).toEqual(['getLink', 'newAddress', 'getLink', 'newRoute', 'getLink', 'getRoutes', 'delAddress']);
    expect(decodeAddressHeader(fake.sent[1]!.body)?.index).toBe(4);
    expect(findU32(decodeAttributes(fake.sent[3]!.body.subarray(12)), RTA_OIF)).toBe(4);
    expect(decodeAddressHeader(fake.sent[6]!.body)?.index).toBe(4);
  });

  it('fails with isRtnlNotFound for an unknown link name, sending nothing else', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects(ENODEV));
    const rt = new Rtnl(fake.socket);
    expect(isRtnlNotFound(await rt.setUp('eth9').catch((e: unknown) => e))).toBe(true);
    expect(isRtnlNotFound(await rt.listAddresses('eth9').catch((e: unknown) => e))).toBe(true);
    expect(fake.sent.map((s) => s.method)).toEqual(['getLink', 'getLink']);
  });

  it('lists addresses of all links without a lookup, the family in the dump request', async () => {
    const fake = fakeSocket();
    const rt = new Rtnl(fake.socket);
    await rt.listAddresses(undefined, { family: 6 });
    expect(fake.sent.map((s) => s.method)).toEqual(['getAddresses']);
    expect(decodeAddressHeader(fake.sent[0]!.body)?.family).toBe(10);
  });

  it('lists the addresses of another namespace by the index there, never looking the link up here', async () => {
    const fake = fakeSocket();
    const rt = new Rtnl(fake.socket);
    await rt.listAddresses(2, { netnsId: 5 });
    expect(fake.sent.map((s) => s.method)).toEqual(['getAddresses']);
    expect(decodeAddressHeader(fake.sent[0]!.body)?.index).toBe(2);
    expect(findI32(decodeAttributes(fake.sent[0]!.body.subarray(8)), IFA_TARGET_NETNSID)).toBe(5);
    const byName = await rt.listAddresses('host0', { netnsId: 5 }).catch((e: unknown) => e);
    expect(isRtnlError(byName, 'invalid-argument')).toBe(true);
    expect(fake.sent).toHaveLength(1);
  });

  it('passes a master filter on to the link dump', async () => {
    const fake = fakeSocket();
    fake.answer('getLinks', [linkMessage(5, 'vb-db', [u32Attribute(IFLA_MASTER, 9)]), linkMessage(6, 'eth0')]);
    const rt = new Rtnl(fake.socket);
    expect((await rt.listLinks({ master: 9 })).map((l) => l.name)).toEqual(['vb-db']);
    expect(findU32(decodeAttributes(fake.sent[0]!.body.subarray(16)), IFLA_MASTER)).toBe(9);
  });

  it('releases the socket once', () => {
    const release = vi.fn();
    const rt = new Rtnl(fakeSocket().socket, release);
    rt.close();
    rt.close();
    expect(release).toHaveBeenCalledOnce();
  });
});
