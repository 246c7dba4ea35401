import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../../lib/ip/index.js';
import {
  addressAttribute,
  attribute,
  decodeAttributes,
  decodeInterfaceInfoHeader,
  decodeString,
  findAddress,
  findAttribute,
  findI32,
  findString,
  findU32,
  interfaceInfoHeader,
  nestedAttribute,
  readU32,
  s32Attribute,
  stringAttribute,
  u32Attribute,
  u8Attribute,
} from '../../../lib/rtnl/attributes.js';

// The expected bytes below are little-endian; netlink uses host order.
const le = endianness() === 'LE';

describe('attribute encoding', () => {
  it.runIf(le)('writes length, type, payload and pads to 4 bytes', () => {
    expect([...u8Attribute(4, 1)]).toEqual([5, 0, 4, 0, 1, 0, 0, 0]);
    expect([...u32Attribute(4, 1400)]).toEqual([8, 0, 4, 0, 0x78, 0x05, 0, 0]);
    expect([...attribute(1, Buffer.alloc(0))]).toEqual([4, 0, 1, 0]);
  });

  it('writes signed 32-bit values that findI32 reads back, negative ones too', () => {
    const attributes = decodeAttributes(Buffer.concat([s32Attribute(10, 7), s32Attribute(11, -1)]));
    expect(findI32(attributes, 10)).toBe(7);
    expect(findI32(attributes, 11)).toBe(-1);
    expect(findU32(attributes, 11)).toBe(0xffffffff);
  });

  it.runIf(le)('NUL-terminates strings and counts the NUL in the length', () => {
    expect([...stringAttribute(1, 'veth')]).toEqual([9, 0, 1, 0, 0x76, 0x65, 0x74, 0x68, 0, 0, 0, 0]);
  });

  it.runIf(le)('nests children, each already padded', () => {
    const nest = nestedAttribute(2, [u8Attribute(4, 1), stringAttribute(1, 'ab')]);
    expect([...nest]).toEqual([4 + 8 + 8, 0, 2, 0, 5, 0, 4, 0, 1, 0, 0, 0, 7, 0, 1, 0, 0x61, 0x62, 0, 0]);
  });

  it.runIf(le)('writes struct ifinfomsg in 16 bytes', () => {
    expect([...interfaceInfoHeader({ family: 7, type: 1, index: 3, flags: 1, change: 0xffffffff })]).toEqual([
      7, 0, 1, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
    ]);
    expect(interfaceInfoHeader().equals(Buffer.alloc(16))).toBe(true);
  });
});

describe('attribute decoding', () => {
  it('reads back what was written, flags masked off the type', () => {
    const nested = attribute(2, stringAttribute(1, 'bridge'));
    nested.writeUInt16LE(2 | 0x8000, 2); // NLA_F_NESTED as the kernel may set it
    const stream = Buffer.concat([stringAttribute(1, 'veth'), nested, u32Attribute(9, 7)]);
    const attrs = decodeAttributes(stream);
    expect(attrs.map((a) => a.type)).toEqual([1, 2, 9]);
    expect(decodeString(findAttribute(attrs, 1)!)).toBe('veth');
    expect(decodeString(findAttribute(decodeAttributes(findAttribute(attrs, 2)!), 1)!)).toBe('bridge');
    expect(readU32(findAttribute(attrs, 9)!)).toBe(7);
    expect(findAttribute(attrs, 3)).toBeUndefined();
  });

  it('stops at a truncated or malformed attribute', () => {
    const good = u8Attribute(4, 1);
    const truncated = Buffer.concat([good, Buffer.from([40, 0, 5, 0, 1])]);
    expect(decodeAttributes(truncated)).toHaveLength(1);
    expect(decodeAttributes(Buffer.from([2, 0, 1, 0]))).toEqual([]);
    expect(decodeAttributes(Buffer.alloc(0))).toEqual([]);
  });

  it('decodes strings with or without the NUL', () => {
    expect(decodeString(Buffer.from('eth0\0'))).toBe('eth0');
    expect(decodeString(Buffer.from('eth0'))).toBe('eth0');
  });
});

describe('typed lookups', () => {
  const attrs = decodeAttributes(
    Buffer.concat([stringAttribute(3, 'eth0'), u32Attribute(4, 1500), u32Attribute(37, 0xffffffff), u8Attribute(9, 1)]),
  );

  it('read strings, unsigned and signed 32-bit values, and nothing from a short payload', () => {
    expect(findString(attrs, 3)).toBe('eth0');
    expect(findU32(attrs, 4)).toBe(1500);
    expect(findI32(attrs, 37)).toBe(-1);
    expect(findU32(attrs, 9)).toBeUndefined();
    expect([findString(attrs, 1), findU32(attrs, 1), findI32(attrs, 1)]).toEqual([undefined, undefined, undefined]);
  });

  it('write addresses as their network-order bytes and read them back as canonical text', () => {
    const addresses = decodeAttributes(
      Buffer.concat([
        addressAttribute(1, parseAddress('10.89.0.1')!),
        addressAttribute(2, parseAddress('FD89:0::1')!),
        attribute(3, Buffer.alloc(5)),
      ]),
    );
    expect(findAttribute(addresses, 1)).toEqual(Buffer.from([10, 89, 0, 1]));
    expect(findAddress(addresses, 1)).toBe('10.89.0.1');
    expect(findAddress(addresses, 2)).toBe('fd89::1');
    expect(findAddress(addresses, 4)).toBeUndefined();
    expect(() => findAddress(addresses, 3)).toThrow(/4 or 16 bytes/);
  });
});

describe('decodeInterfaceInfoHeader', () => {
  it('reads back struct ifinfomsg, and nothing from a short body', () => {
    const header = { family: 7, type: 1, index: 3, flags: 0x1003, change: 1 };
    expect(decodeInterfaceInfoHeader(interfaceInfoHeader(header))).toEqual(header);
    expect(decodeInterfaceInfoHeader(Buffer.alloc(15))).toBeUndefined();
  });
});
