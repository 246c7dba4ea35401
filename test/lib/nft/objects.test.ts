import { describe, expect, it } from 'vitest';
import { namedPriorities } from '../../../lib/nft/objects.js';

describe('namedPriorities', () => {
  it('are the numbers nft uses for the inet family', () => {
    // nft(8), "Standard priority names": rendered as numbers so every hook accepts them
    expect(namedPriorities).toEqual({ raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 });
  });
});
