import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256, sha256Hex } from '../../../lib/hash/sha256.js';

// FIPS 180-2's two-block example: abcd, bcde, cdef, … nopq.
const fourLetterRuns = Array.from({ length: 14 }, (_, i) => 'abcdefghijklmnopq'.slice(i, i + 4)).join('');
const reference = (text: string) => createHash('sha256').update(text).digest('hex');

describe('sha256', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(fourLetterRuns)).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('agrees with node:crypto on every length around the block boundaries and on any text', () => {
    for (let length = 0; length < 200; length++) expect(sha256Hex('x'.repeat(length))).toBe(reference('x'.repeat(length)));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => sha256Hex(text) === reference(text)),
      { numRuns: 500 },
    );
  });

  it('returns 32 bytes', () => {
    expect(sha256('cni-zones')).toHaveLength(32);
  });
});
