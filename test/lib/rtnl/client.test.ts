import { describe, expect, it, vi } from 'vitest';
import { decodeAddressHeader } from '../../../lib/rtnl/addresses.js';
import { decodeAttributes, findU32 } from '../../../lib/rtnl/attributes.js';
import { Rtnl } from '../../../lib/rtnl/client.js';
import { isRtnlNotFound } from '../../../lib/rtnl/errors.js';
import { ENODEV, fakeSocket, kernelRejects, linkMessage } from './fake-socket.js';

const RTA_OIF = 4;

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

  it('releases the socket once', () => {
    const release = vi.fn();
    const rt = new Rtnl(fakeSocket().socket, release);
    rt.close();
    rt.close();
    expect(release).toHaveBeenCalledOnce();
  });
});
