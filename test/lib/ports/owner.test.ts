import { describe, expect, it } from 'vitest';
import { checkComment } from '../../../lib/nft/tokens.js';
import { describeTag, networkPart, ownerTag, parseOwnerTag, stateFileName, validTags } from '../../../lib/ports/owner.js';

const owner = { network: 'web', containerId: 'abc123', ifname: 'eth0' };

describe('ownerTag', () => {
  it('names network, container and ifname', () => {
    expect(ownerTag(owner)).toBe('ports web abc123 eth0');
    expect(parseOwnerTag('ports web abc123 eth0')).toEqual(owner);
    expect(describeTag(ownerTag(owner))).toBe('container abc123 (ifname eth0, network web)');
  });

  it('keeps a 64-digit container ID whole', () => {
    const id = 'f'.repeat(64);
    expect(ownerTag({ ...owner, containerId: id })).toBe(`ports web ${id} eth0`);
  });

  it('hashes parts that are too long or outside the comment alphabet, and always fits a comment', () => {
    const cases = [
      { network: 'n'.repeat(200), containerId: 'c'.repeat(300), ifname: 'eth0' },
      { network: 'web', containerId: 'x'.repeat(200), ifname: 'e#1' },
      { network: 'a b', containerId: '=x', ifname: 'eth"0' },
    ];
    for (const o of cases) {
      const tag = ownerTag(o);
      expect(() => checkComment(tag)).not.toThrow();
      expect(tag.length).toBeLessThanOrEqual(128);
      expect(parseOwnerTag(tag)).toBeDefined();
      expect(ownerTag(o)).toBe(tag);
    }
    expect(parseOwnerTag(ownerTag(cases[0]!))?.network).toBe(networkPart('n'.repeat(200)));
    expect(networkPart('n'.repeat(200))).toMatch(/^=[0-9a-f]{16}$/);
    expect(
      ownerTag(cases[2]!)
        .split(' ')
        .slice(1)
        .every((part) => part.startsWith('=')),
    ).toBe(true);
  });

  it('tells tags apart from other comments', () => {
    expect(parseOwnerTag('zone:web')).toBeUndefined();
    expect(parseOwnerTag(undefined)).toBeUndefined();
    expect(describeTag('zone:web')).toBe('an entry tagged "zone:web"');
    expect(describeTag(undefined)).toBe('an entry without owner');
  });
});

describe('validTags and stateFileName', () => {
  it('tags the attachments to keep', () => {
    expect(validTags('web', [{ network: 'web', containerId: 'a', ifname: 'eth0' }])).toEqual(new Set(['ports web a eth0']));
  });

  it('names state files by hash only', () => {
    expect(stateFileName(owner)).toMatch(/^[0-9a-f]{32}\.json$/);
    expect(stateFileName({ ...owner, containerId: '../../etc' })).toMatch(/^[0-9a-f]{32}\.json$/);
    expect(stateFileName(owner)).not.toBe(stateFileName({ ...owner, ifname: 'eth1' }));
  });
});
