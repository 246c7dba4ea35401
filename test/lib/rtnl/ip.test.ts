import { describe, expect, it } from 'vitest';
import { isRtnlError } from '../../../lib/rtnl/errors.js';
import { formatIp, ipFamilyOf, ipv4Broadcast, networkOf, parseCidr, parseIp } from '../../../lib/rtnl/ip.js';

describe('parseIp / formatIp', () => {
  it('encodes IPv4 as 4 bytes', () => {
    const ip = parseIp('10.89.0.1');
    expect(ip.family).toBe(4);
    expect([...ip.bytes]).toEqual([10, 89, 0, 1]);
    expect(ip.text).toBe('10.89.0.1');
  });

  it.each([
    ['fd89::1', 'fd89:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['fe80::', 'fe80:0:0:0:0:0:0:0'],
    ['2001:db8::ff00:42:8329', '2001:db8:0:0:0:ff00:42:8329'],
    ['::ffff:10.0.0.1', '0:0:0:0:0:ffff:a00:1'],
  ])('encodes IPv6 %s as 16 bytes', (text, full) => {
    const ip = parseIp(text);
    expect(ip.family).toBe(6);
    const groups = Array.from({ length: 8 }, (_, i) => ip.bytes.readUInt16BE(i * 2).toString(16));
    expect(groups.join(':')).toBe(full);
  });

  it.each([
    ['FD89:0:0:0:0:0:0:1', 'fd89::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('writes %s as %s (RFC 5952)', (text, canonical) => {
    expect(parseIp(text).text).toBe(canonical);
    expect(formatIp(parseIp(text).bytes)).toBe(canonical);
  });

  it.each(['10.0.0', '10.0.0.256', 'fe80::1%eth0', 'hello', '', '1::2::3'])('rejects %j', (text) => {
    let error: unknown;
    try {
      parseIp(text);
    } catch (e) {
      error = e;
    }
    expect(isRtnlError(error)).toBe(true);
  });

  it('refuses byte strings of other lengths', () => {
    expect(() => formatIp(Buffer.alloc(5))).toThrow(/4 or 16 bytes/);
  });
});

describe('parseCidr', () => {
  it('keeps host bits and canonicalises', () => {
    expect(parseCidr('10.0.0.5/24')).toMatchObject({ family: 4, text: '10.0.0.5', prefixLength: 24, cidr: '10.0.0.5/24' });
    expect(parseCidr('FD89:0::2/64').cidr).toBe('fd89::2/64');
  });

  it.each(['10.0.0.1', '10.0.0.1/33', 'fd89::1/129', '10.0.0.1/', '10.0.0.1/x', '10.0.0.1/1234'])('rejects %j', (text) => {
    expect(() => parseCidr(text)).toThrow();
  });
});

describe('networkOf', () => {
  it('clears host bits', () => {
    expect(networkOf(parseCidr('10.89.7.200/22')).cidr).toBe('10.89.4.0/22');
    expect(networkOf(parseCidr('fd89::1:2/112')).cidr).toBe('fd89::1:0/112');
    expect(networkOf(parseCidr('10.1.2.3/0')).cidr).toBe('0.0.0.0/0');
    expect(networkOf(parseCidr('10.1.2.3/32')).cidr).toBe('10.1.2.3/32');
  });
});

describe('ipv4Broadcast', () => {
  it('sets all host bits', () => {
    expect([...ipv4Broadcast(parseCidr('10.89.0.1/24'))!]).toEqual([10, 89, 0, 255]);
    expect([...ipv4Broadcast(parseCidr('172.16.5.9/12'))!]).toEqual([172, 31, 255, 255]);
    expect([...ipv4Broadcast(parseCidr('10.0.0.1/0'))!]).toEqual([255, 255, 255, 255]);
  });

  it('has none for /31, /32 and IPv6', () => {
    expect(ipv4Broadcast(parseCidr('10.0.0.0/31'))).toBeUndefined();
    expect(ipv4Broadcast(parseCidr('10.0.0.1/32'))).toBeUndefined();
    expect(ipv4Broadcast(parseCidr('fd89::1/64'))).toBeUndefined();
  });
});

describe('ipFamilyOf', () => {
  it('maps AF_INET and AF_INET6', () => {
    expect(ipFamilyOf(2)).toBe(4);
    expect(ipFamilyOf(10)).toBe(6);
    expect(ipFamilyOf(7)).toBeUndefined();
    expect(ipFamilyOf(undefined)).toBeUndefined();
  });
});
