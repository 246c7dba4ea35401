import { describe, expect, it } from 'vitest';
import { addAddress, addressRequest, deleteAddress, listAddresses, parseAddress } from '../../../lib/rtnl/addresses.js';
import { isExists, isNotFound } from '../../../lib/rtnl/errors.js';
import { formatIp } from '../../../lib/rtnl/ip.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../../lib/rtnl/socket.js';
import { fakeSocket, kernelRejects } from './fake-socket.js';

const bytes = (buffer: unknown) => formatIp(buffer as Buffer);

describe('addressRequest', () => {
  it('sends IPv4 as local + address with its broadcast', () => {
    const { data, attrs } = addressRequest(4, '10.89.0.2/24');
    expect(data).toEqual({ family: 2, prefixlen: 24, scope: 0, index: 4 });
    expect(bytes(attrs.local)).toBe('10.89.0.2');
    expect(bytes(attrs.address)).toBe('10.89.0.2');
    expect(bytes(attrs.broadcast)).toBe('10.89.0.255');
    expect(attrs.flags).toBeUndefined();
  });

  it('leaves the broadcast out when asked, and for /31', () => {
    expect(addressRequest(4, '10.89.0.2/24', { broadcast: false }).attrs.broadcast).toBeUndefined();
    expect(addressRequest(4, '10.89.0.2/31').attrs.broadcast).toBeUndefined();
  });

  it('sends IPv6 with IFA_F_NODAD when asked', () => {
    const { data, attrs } = addressRequest(4, 'fd89::2/64', { noDad: true });
    expect(data).toEqual({ family: 10, prefixlen: 64, scope: 0, index: 4 });
    expect(bytes(attrs.address)).toBe('fd89::2');
    expect(attrs.broadcast).toBeUndefined();
    expect(attrs.flags).toEqual({ nodad: true });
  });

  it('ignores noDad for IPv4 and sets noprefixroute', () => {
    expect(addressRequest(4, '10.0.0.1/8', { noDad: true }).attrs.flags).toBeUndefined();
    expect(addressRequest(4, '10.0.0.1/8', { noPrefixRoute: true }).attrs.flags).toEqual({ noprefixroute: true });
  });

  it('for deletion sends only what identifies the address', () => {
    const { attrs } = addressRequest(4, '10.89.0.2/24', { noDad: true }, true);
    expect(Object.keys(attrs).sort()).toEqual(['address', 'local']);
  });

  it('rejects bad input before sending', () => {
    expect(() => addressRequest(0, '10.0.0.1/8')).toThrow(/bad link index/);
    expect(() => addressRequest(4, '10.0.0.1')).toThrow(/CIDR/);
  });
});

describe('parseAddress', () => {
  it('prefers IFA_LOCAL and reads the flags of IFA_FLAGS', () => {
    const address = parseAddress({
      data: { family: 10, prefixlen: 64, scope: 0, index: 4, flags: {} },
      attrs: { address: Buffer.from('fd890000000000000000000000000002', 'hex'), flags: { nodad: true, permanent: true } },
    });
    expect(address).toEqual({
      index: 4,
      family: 6,
      address: 'fd89::2',
      prefixLength: 64,
      cidr: 'fd89::2/64',
      scope: 0,
      broadcast: undefined,
      tentative: false,
      dadFailed: false,
      noDad: true,
      permanent: true,
    });
    const p2p = parseAddress({
      data: { family: 2, prefixlen: 32, index: 2 },
      attrs: { local: Buffer.from([10, 0, 0, 1]), address: Buffer.from([10, 0, 0, 2]), broadcast: Buffer.from([10, 0, 0, 255]) },
    });
    expect(p2p).toMatchObject({ address: '10.0.0.1', broadcast: '10.0.0.255', tentative: false });
  });

  it('skips families that are not IP', () => {
    expect(parseAddress({ data: { family: 17 }, attrs: {} })).toBeUndefined();
  });
});

describe('address operations', () => {
  it('adds with CREATE|EXCL, or CREATE|REPLACE when replacing', async () => {
    const fake = fakeSocket();
    await addAddress(fake.socket, 4, '10.0.0.1/24');
    await addAddress(fake.socket, 4, '10.0.0.1/24', { replace: true });
    expect(fake.sent[0]?.options?.flags).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(fake.sent[1]?.options?.flags).toBe(NLM_F_CREATE | NLM_F_REPLACE);
  });

  it('maps EEXIST and EADDRNOTAVAIL', async () => {
    const fake = fakeSocket();
    fake.answer('newAddress', kernelRejects('EEXIST'));
    fake.answer('delAddress', kernelRejects('EADDRNOTAVAIL'));
    expect(isExists(await addAddress(fake.socket, 4, '10.0.0.1/24').catch((e: unknown) => e))).toBe(true);
    expect(isNotFound(await deleteAddress(fake.socket, 4, '10.0.0.1/24').catch((e: unknown) => e))).toBe(true);
  });

  it('lists and filters by link and family on our side', async () => {
    const fake = fakeSocket();
    const v4 = (index: number, last: number) => ({ kind: 'address', data: { family: 2, prefixlen: 24, index }, attrs: { local: Buffer.from([10, 0, 0, last]) } });
    const v6 = { kind: 'address', data: { family: 10, prefixlen: 64, index: 4 }, attrs: { address: Buffer.alloc(16, 0) } };
    fake.answer('getAddresses', [v4(4, 1), v4(5, 2), v6]);
    expect((await listAddresses(fake.socket, { index: 4 })).map((a) => a.cidr)).toEqual(['10.0.0.1/24', '::/64']);
    expect((await listAddresses(fake.socket, { index: 4, family: 4 })).map((a) => a.cidr)).toEqual(['10.0.0.1/24']);
    expect(fake.sent[1]?.data).toEqual({ family: 2 });
    expect((await listAddresses(fake.socket)).length).toBe(3);
  });
});
