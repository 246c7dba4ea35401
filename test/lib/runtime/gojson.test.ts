import { describe, expect, it } from 'vitest';
import { compareBytes, goJson, goJsonStruct } from '../../../lib/runtime/gojson.js';

describe('goJson', () => {
  it('sorts object keys at every depth, as Go marshals maps', () => {
    expect(goJson({ b: 1, a: { z: [{ y: 1, x: 2 }], c: null } })).toBe('{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}');
  });

  it('escapes <, > and & like Go', () => {
    expect(goJson({ s: '<a&b>' })).toBe('{"s":"\\u003ca\\u0026b\\u003e"}');
  });

  it('escapes U+2028 and U+2029 like Go', () => {
    expect(goJson('\u2028\u2029')).toBe('"\\u2028\\u2029"');
  });

  it('keeps arrays in order', () => {
    expect(goJson([3, 1, 2])).toBe('[3,1,2]');
  });
});

describe('goJsonStruct', () => {
  it('keeps the top-level field order, drops undefined fields and sorts nested maps', () => {
    expect(goJsonStruct({ kind: 'k', skip: undefined, map: { b: 1, a: 2 } })).toBe('{"kind":"k","map":{"a":2,"b":1}}');
  });
});

describe('compareBytes', () => {
  it('orders by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 is 0xEF.. in UTF-8, U+1F600 is 0xF0..; in UTF-16 the surrogate 0xD83D sorts first.
    expect(['\u{1F600}', '\uFF61'].sort(compareBytes)).toEqual(['\uFF61', '\u{1F600}']);
  });
});
