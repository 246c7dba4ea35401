import { describe, expect, it } from 'vitest';
import {
  addAddress,
  addAddressRequest,
  addressHeader,
  decodeAddressHeader,
  deleteAddress,
  deleteAddressRequest,
  listAddresses,
  listAddressesRequest,
  parseAddress,
  readAddresses,
  RTM_NEWADDR,
} from '../../../lib/rtnl/addresses.js';
import {
  attribute,
  decodeAttributes,
  findAddress,
  findAttribute,
  findI32,
  findU32,
  s32Attribute,
  u32Attribute,
} from '../../../lib/rtnl/attributes.js';
import { isRtnlExists, isRtnlNotFound, isRtnlError } from '../../../lib/rtnl/errors.js';
import { encodeRequest, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../../lib/rtnl/netlink.js';
import { addressMessage, EADDRNOTAVAIL, EEXIST, fakeSocket, kernelRejects } from './fake-socket.js';
import { le, sentByIp } from './ip-captures.js';

// linux/if_addr.h
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const IFA_FLAGS = 8;
const IFA_TARGET_NETNSID = 10;

function decodeAddress(body: Buffer) {
  return { header: decodeAddressHeader(body)!, attributes: decodeAttributes(body.subarray(8)) };
}

const ipIn = (attributes: ReturnType<typeof decodeAttributes>, type: number) => findAddress(attributes, type);

describe('address requests', () => {
  it.runIf(le)('are byte for byte what `ip address add/del` sends', () => {
    expect(encodeRequest(addAddressRequest(4, '10.89.0.2/24'), sentByIp.seq)).toEqual(sentByIp.address4);
    expect(encodeRequest(addAddressRequest(4, 'fd89::2/64', { noDad: true }), sentByIp.seq)).toEqual(sentByIp.address6);
    expect(encodeRequest(deleteAddressRequest(3, '10.89.0.2/24'), sentByIp.seq)).toEqual(sentByIp.deleteAddress4);
  });

  it('send IPv4 as local + address with its broadcast', () => {
    const request = addAddressRequest(4, '10.89.0.2/24');
    expect(request).toMatchObject({ type: RTM_NEWADDR, flags: NLM_F_CREATE | NLM_F_EXCL });
    const { header, attributes } = decodeAddress(request.body);
    expect(header).toEqual({ family: 2, prefixLength: 24, flags: 0, scope: 0, index: 4 });
    expect(attributes.map((a) => a.type)).toEqual([IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST]);
    expect(ipIn(attributes, IFA_BROADCAST)).toBe('10.89.0.255');
    expect(ipIn(decodeAddress(addAddressRequest(4, '172.16.5.9/12').body).attributes, IFA_BROADCAST)).toBe('172.31.255.255');
    expect(ipIn(decodeAddress(addAddressRequest(4, '10.0.0.1/0').body).attributes, IFA_BROADCAST)).toBe('255.255.255.255');
  });

  it('leave the broadcast out when asked, and for /31', () => {
    expect(
      findAttribute(decodeAddress(addAddressRequest(4, '10.89.0.2/24', { broadcast: false }).body).attributes, IFA_BROADCAST),
    ).toBeUndefined();
    expect(findAttribute(decodeAddress(addAddressRequest(4, '10.89.0.2/31').body).attributes, IFA_BROADCAST)).toBeUndefined();
  });

  it('send IPv6 with IFA_F_NODAD in the header when asked, and no broadcast', () => {
    const { header, attributes } = decodeAddress(addAddressRequest(4, 'fd89::2/64', { noDad: true }).body);
    expect(header).toEqual({ family: 10, prefixLength: 64, flags: 0x02, scope: 0, index: 4 });
    expect(ipIn(attributes, IFA_ADDRESS)).toBe('fd89::2');
    expect(attributes.map((a) => a.type)).toEqual([IFA_LOCAL, IFA_ADDRESS]);
  });

  it('ignore noDad for IPv4, and carry noprefixroute (beyond 8 bits) in IFA_FLAGS', () => {
    expect(decodeAddress(addAddressRequest(4, '10.0.0.1/8', { noDad: true }).body).header.flags).toBe(0);
    const { header, attributes } = decodeAddress(addAddressRequest(4, 'fd00::1/64', { noDad: true, noPrefixRoute: true }).body);
    expect(header.flags).toBe(0);
    expect(findU32(attributes, IFA_FLAGS)).toBe(0x202);
  });

  it('replace with CREATE|REPLACE; delete with only what identifies the address', () => {
    expect(addAddressRequest(4, '10.0.0.1/24', { replace: true }).flags).toBe(NLM_F_CREATE | NLM_F_REPLACE);
    const { attributes } = decodeAddress(deleteAddressRequest(4, '10.89.0.2/24').body);
    expect(attributes.map((a) => a.type)).toEqual([IFA_LOCAL, IFA_ADDRESS]);
  });

  it('reject bad input before sending', () => {
    expect(() => addAddressRequest(0, '10.0.0.1/8')).toThrow(/bad link index/);
    expect(() => addAddressRequest(4, '10.0.0.1')).toThrow(/CIDR/);
    for (const bad of ['10.0.0.1/33', 'fd89::1/129', 'fe80::1%eth0/64', '10.0.0/8', '1::2::3/64']) {
      let error: unknown;
      try {
        addAddressRequest(4, bad);
      } catch (e) {
        error = e;
      }
      expect(isRtnlError(error), bad).toBe(true);
    }
  });
});

describe('parseAddress', () => {
  it('prefers IFA_LOCAL and reads the flags of IFA_FLAGS over the header', () => {
    const message = addressMessage({ family: 10, prefixLength: 64, flags: 0, scope: 0, index: 4 }, [
      attribute(IFA_ADDRESS, Buffer.from('fd890000000000000000000000000002', 'hex')),
      u32Attribute(IFA_FLAGS, 0x02 | 0x80),
    ]);
    expect(parseAddress(message.body)).toEqual({
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
    const p2p = addressMessage({ family: 2, prefixLength: 32, flags: 0x40, scope: 0, index: 2 }, [
      attribute(IFA_ADDRESS, Buffer.from([10, 0, 0, 2])),
      attribute(IFA_LOCAL, Buffer.from([10, 0, 0, 1])),
      attribute(IFA_BROADCAST, Buffer.from([10, 0, 0, 255])),
    ]);
    expect(parseAddress(p2p.body)).toMatchObject({ address: '10.0.0.1', broadcast: '10.0.0.255', tentative: true });
  });

  it('skips families that are not IP', () => {
    expect(parseAddress(addressHeader({ family: 17, prefixLength: 0, flags: 0, scope: 0, index: 1 }))).toBeUndefined();
    expect(parseAddress(Buffer.alloc(4))).toBeUndefined();
  });
});

describe('address operations', () => {
  it('add and delete, EEXIST and EADDRNOTAVAIL mapped', async () => {
    const fake = fakeSocket();
    fake.answer('newAddress', [], kernelRejects(EEXIST));
    fake.answer('delAddress', kernelRejects(EADDRNOTAVAIL));
    await addAddress(fake.socket, 4, '10.0.0.1/24');
    expect(fake.sent[0]?.operation).toBe('add address 10.0.0.1/24 to link #4');
    expect(isRtnlExists(await addAddress(fake.socket, 4, '10.0.0.1/24').catch((e: unknown) => e))).toBe(true);
    expect(isRtnlNotFound(await deleteAddress(fake.socket, 4, '10.0.0.1/24').catch((e: unknown) => e))).toBe(true);
  });

  it('lists with a dump and filters by link and family on our side', async () => {
    const fake = fakeSocket();
    const v4 = (index: number, last: number) =>
      addressMessage({ family: 2, prefixLength: 24, flags: 0, scope: 0, index }, [attribute(IFA_LOCAL, Buffer.from([10, 0, 0, last]))]);
    const v6 = addressMessage({ family: 10, prefixLength: 64, flags: 0, scope: 0, index: 4 }, [attribute(IFA_ADDRESS, Buffer.alloc(16))]);
    fake.answer('getAddresses', [v4(4, 1), v4(5, 2), v6]);
    expect((await listAddresses(fake.socket, { index: 4 })).map((a) => a.cidr)).toEqual(['10.0.0.1/24', '::/64']);
    expect((await listAddresses(fake.socket, { index: 4, family: 4 })).map((a) => a.cidr)).toEqual(['10.0.0.1/24']);
    expect(fake.sent[1]?.flags).toBe(NLM_F_DUMP);
    expect(decodeAddressHeader(fake.sent[1]!.body)?.family).toBe(2);
    expect((await listAddresses(fake.socket)).length).toBe(3);
  });
});

describe('addresses of another namespace', () => {
  const v4 = (index: number, last: number, target?: number) =>
    addressMessage({ family: 2, prefixLength: 24, flags: 0, scope: 0, index }, [
      attribute(IFA_LOCAL, Buffer.from([10, 89, 0, last])),
      ...(target === undefined ? [] : [s32Attribute(IFA_TARGET_NETNSID, target)]),
    ]);

  it('ask with IFA_TARGET_NETNSID and the link index in the header', () => {
    const request = listAddressesRequest({ netnsId: 3, index: 2, family: 4 });
    expect(request).toMatchObject({ type: 22, flags: NLM_F_DUMP });
    const { header, attributes } = decodeAddress(request.body);
    expect(header).toEqual({ family: 2, prefixLength: 0, flags: 0, scope: 0, index: 2 });
    expect(attributes.map((a) => a.type)).toEqual([IFA_TARGET_NETNSID]);
    expect(findI32(attributes, IFA_TARGET_NETNSID)).toBe(3);
    // Without a target, no attribute at all: what every kernel takes.
    expect(listAddressesRequest({ index: 2 }).body.length).toBe(8);
  });

  it('refuse a bad index or namespace id before sending', () => {
    expect(() => listAddressesRequest({ netnsId: -1 })).toThrow(/bad namespace id -1/);
    expect(() => listAddressesRequest({ netnsId: 1.5 })).toThrow(/bad namespace id/);
    expect(() => listAddressesRequest({ index: -2 })).toThrow(/bad link index/);
  });

  it('are read when every message carries the target back', () => {
    const fake = fakeSocket();
    fake.answer('getAddresses', [v4(1, 1, 3), v4(2, 130, 3)]);
    expect(readAddresses(fake.socket, { netnsId: 3, index: 2 }).map((a) => a.cidr)).toEqual(['10.89.0.130/24']);
    expect(fake.sent[0]?.operation).toBe('list addresses of namespace id 3');
  });

  it('fail when the kernel answered for its own namespace (no strict checking), rather than give its addresses', async () => {
    const fake = fakeSocket();
    fake.answer('getAddresses', [v4(2, 1), v4(2, 130, 3)]);
    const error = await listAddresses(fake.socket, { netnsId: 3 }).catch((e: unknown) => e);
    expect(isRtnlError(error, 'malformed')).toBe(true);
    expect((error as Error).message).toMatch(/answered for this namespace, not for namespace id 3/);
    // Another id carried back is not ours either.
    fake.answer('getAddresses', [v4(2, 130, 4)]);
    expect(isRtnlError(await listAddresses(fake.socket, { netnsId: 3 }).catch((e: unknown) => e), 'malformed')).toBe(true);
    // No address at all is an answer.
    fake.answer('getAddresses', []);
    expect(readAddresses(fake.socket, { netnsId: 3 })).toEqual([]);
  });

  it("pass the kernel's refusal on: a namespace id that is gone (EINVAL), a link gone (ENODEV)", async () => {
    const fake = fakeSocket();
    fake.answer('getAddresses', kernelRejects(22), kernelRejects(19));
    expect(isRtnlError(await listAddresses(fake.socket, { netnsId: 9 }).catch((e: unknown) => e), 'failed')).toBe(true);
    expect(isRtnlNotFound(await listAddresses(fake.socket, { netnsId: 9, index: 4 }).catch((e: unknown) => e))).toBe(true);
  });
});
