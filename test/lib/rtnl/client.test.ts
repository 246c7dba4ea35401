import { describe, expect, it, vi } from 'vitest';
import { Rtnl } from '../../../lib/rtnl/client.js';
import { isNotFound } from '../../../lib/rtnl/errors.js';
import { fakeSocket, kernelRejects, linkMessage } from './fake-socket.js';

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
    expect(fake.sent[1]?.data.index).toBe(4);
    expect(fake.sent[3]?.attrs.oif).toBe(4);
    expect(fake.sent[6]?.data.index).toBe(4);
  });

  it('fails with isNotFound for an unknown link name, sending nothing else', async () => {
    const fake = fakeSocket();
    fake.answer('getLink', kernelRejects('ENODEV'));
    const rt = new Rtnl(fake.socket);
    expect(isNotFound(await rt.setUp('eth9').catch((e: unknown) => e))).toBe(true);
    expect(isNotFound(await rt.listAddresses('eth9').catch((e: unknown) => e))).toBe(true);
    expect(fake.sent.map((s) => s.method)).toEqual(['getLink', 'getLink']);
  });

  it('lists addresses of all links without a lookup', async () => {
    const fake = fakeSocket();
    const rt = new Rtnl(fake.socket);
    await rt.listAddresses(undefined, { family: 6 });
    expect(fake.sent).toEqual([expect.objectContaining({ method: 'getAddresses', data: { family: 10 } })]);
  });

  it('releases the socket once', () => {
    const release = vi.fn();
    const rt = new Rtnl(fakeSocket().socket, release);
    rt.close();
    rt.close();
    expect(release).toHaveBeenCalledOnce();
  });
});
