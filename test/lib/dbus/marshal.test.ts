import { describe, expect, it } from 'vitest';
import { completeTypes, marshal, unmarshal } from '../../../lib/dbus/marshal.js';

/** Hex of a buffer, one space between groups of 4 bytes (D-Bus's alignment unit). */
function words(bytes: Buffer): string {
  return (bytes.toString('hex').match(/.{1,8}/g) ?? []).join(' ');
}

const v4 = [10, 89, 0, 1];
const v6 = [0xfd, 0x89, ...Array(13).fill(0), 1];

describe('completeTypes', () => {
  it('splits a signature into its complete types', () => {
    expect(completeTypes('')).toEqual([]);
    expect(completeTypes('su')).toEqual(['s', 'u']);
    expect(completeTypes('ia(iay)')).toEqual(['i', 'a(iay)']);
    expect(completeTypes('ia(sb)b')).toEqual(['i', 'a(sb)', 'b']);
    expect(completeTypes('aay(a(ii)s)')).toEqual(['aay', '(a(ii)s)']);
  });

  it.each([
    ['a', 'missing at its end'],
    ['(i', 'missing at its end'],
    ['()', 'an empty struct'],
    ['v', "'v' is not spoken here"],
    ['a{sv}', "'{' is not spoken here"],
    [')', "')' is not spoken here"],
    [`${'a'.repeat(33)}y`, 'arrays nested deeper than 32'],
    [`${'('.repeat(33)}y${')'.repeat(33)}`, 'structs nested deeper than 32'],
  ])('refuses %s', (signature, problem) => {
    expect(() => completeTypes(signature)).toThrow(problem);
  });

  it('refuses a signature longer than 255 bytes', () => {
    expect(() => completeTypes('y'.repeat(256))).toThrow('longer than 255 bytes');
  });
});

describe('marshal: exact bytes', () => {
  it('ay: the byte length, then the bytes, no padding after the length', () => {
    expect(words(marshal('ay', [Uint8Array.from([1, 2, 3])]))).toBe('03000000 010203');
    expect(words(marshal('ay', [[1, 2, 3]]))).toBe('03000000 010203');
    expect(words(marshal('ay', [[]]))).toBe('00000000');
  });

  it('ay after a byte: the length aligned to 4', () => {
    expect(words(marshal('yay', [7, [9]]))).toBe('07000000 01000000 09');
  });

  it('a(iay): the elements 8-aligned after the length; the length leaves out that padding', () => {
    // length 12 | padding to 8 | struct: int32 2, ay of 4 bytes
    expect(words(marshal('a(iay)', [[[2, v4]]]))).toBe('0c000000 00000000 02000000 04000000 0a590001');
  });

  it('an empty a(iay) still pads to its element alignment', () => {
    expect(words(marshal('a(iay)', [[]]))).toBe('00000000 00000000');
    expect(words(marshal('ia(iay)', [7, []]))).toBe('07000000 00000000');
  });

  it('SetLinkDNS(ia(iay)): ifindex, then an IPv4 and an IPv6 server', () => {
    const body = marshal('ia(iay)', [
      7,
      [
        [2, v4],
        [10, v6],
      ],
    ]);
    expect(words(body)).toBe(
      [
        '07000000', // ifindex 7
        '28000000', // array of 40 bytes; its first struct is 8-aligned already
        '02000000 04000000 0a590001', // AF_INET, 4 bytes
        '00000000', // the next struct starts 8-aligned (at 24)
        '0a000000 10000000 fd890000 00000000 00000000 00000001', // AF_INET6, 16 bytes
      ].join(' '),
    );
    expect(body.length).toBe(48);
  });

  it('SetLinkDomains(ia(sb)): ifindex, then (domain, routing-only)', () => {
    const body = marshal('ia(sb)', [3, [['web.internal', true]]]);
    expect(words(body)).toBe(
      [
        '03000000', // ifindex 3
        '18000000', // array of 24 bytes
        '0c000000', // string of 12 bytes
        Buffer.from('web.internal').toString('hex').match(/.{8}/g)?.join(' '),
        '00000000', // NUL, then padding to the boolean's 4
        '01000000', // true
      ].join(' '),
    );
  });

  it('a(sb) with two entries: the second struct 8-aligned after the first', () => {
    const body = marshal('a(sb)', [
      [
        ['a', false],
        ['bc', true],
      ],
    ]);
    // length | pad | "a": len 1, 'a' NUL, pad, false | pad to 24 | "bc": len 2, 'bc' NUL, pad, true
    expect(words(body)).toBe('1c000000 00000000 01000000 61000000 00000000 00000000 02000000 62630000 01000000');
    expect(body.length).toBe(36);
  });

  it('a struct at the top level is 8-aligned', () => {
    expect(words(marshal('y(yy)', [1, [2, 3]]))).toBe('01000000 00000000 0203');
  });

  it('nested arrays: aay', () => {
    expect(words(marshal('aay', [[[1], [2, 3]]]))).toBe('0e000000 01000000 01000000 02000000 0203');
  });

  it('basic types as before', () => {
    expect(words(marshal('sub', ['ab', 5, true]))).toBe('02000000 61620000 05000000 01000000');
    expect(words(marshal('ig', [-1, 'a(iay)']))).toBe('ffffffff 06612869 61792900');
  });
});

describe('marshal: refusals', () => {
  it.each([
    ['ia(iay)', [1], 'does not match 1 arguments'],
    ['a(iay)', [[[2]]], 'takes a list of 2 fields'],
    ['a(iay)', [[[2, v4, 1]]], 'takes a list of 2 fields'],
    ['a(iay)', ['x'], "'a(iay)' takes a list"],
    ['ay', [[256]], "'y' takes an integer from 0 to 255"],
    ['ay', [[1.5]], "'y' takes an integer"],
    ['i', [2 ** 31], "'i' takes an integer"],
    ['u', [-1], "'u' takes an integer"],
    ['s', [['a']], "'s' takes a basic value"],
    ['s', ['a\0b'], 'cannot contain NUL'],
  ])('%s with %j', (signature, values, problem) => {
    expect(() => marshal(signature, values as never)).toThrow(problem);
  });
});

describe('unmarshal', () => {
  it('reads back what marshal wrote, ay as bytes', () => {
    const values = [
      7,
      [
        [2, Uint8Array.from(v4)],
        [10, Uint8Array.from(v6)],
      ],
      [['web.internal', true]],
      'x',
      false,
    ];
    expect(unmarshal('ia(iay)a(sb)sb', marshal('ia(iay)a(sb)sb', values))).toEqual(values);
    expect(unmarshal('a(iay)', marshal('a(iay)', [[]]))).toEqual([[]]);
  });

  it('reads from an 8-aligned start inside a message', () => {
    const message = Buffer.concat([Buffer.alloc(16, 0xee), marshal('ya(iay)', [1, [[2, v4]]])]);
    expect(unmarshal('ya(iay)', message, { start: 16 })).toEqual([1, [[2, Uint8Array.from(v4)]]]);
  });

  it('reads big-endian', () => {
    const body = Buffer.from('00000007 0000000c 00000002 00000004 0a590001'.replace(/ /g, ''), 'hex');
    expect(unmarshal('ia(iay)', body, { littleEndian: false })).toEqual([7, [[2, Uint8Array.from(v4)]]]);
  });

  it('refuses a body that ends inside a value', () => {
    const body = marshal('a(iay)', [[[2, v4]]]);
    expect(() => unmarshal('a(iay)', body.subarray(0, body.length - 1))).toThrow(RangeError);
  });

  it('refuses an array whose elements overrun its length', () => {
    const body = Buffer.from('05000000 00000000 01000000 02000000'.replace(/ /g, ''), 'hex'); // 5 bytes of a(ii), whose one struct takes 8
    expect(() => unmarshal('a(ii)', body)).toThrow(RangeError);
  });
});
