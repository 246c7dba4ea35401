import { describe, expect, it } from 'vitest';
import { diffLines, diffSnapshots, normalizeRuleset, settledSnapshot, summarizeDiff, type Snapshot } from '../../conformance/snapshot.js';

function snapshot(parts: Partial<Snapshot> = {}): Snapshot {
  return { links: [], addresses: [], routes: [], rules: [], nft: [], files: [], ...parts };
}

describe('diffLines', () => {
  it('compares multisets', () => {
    expect(diffLines(['a', 'b', 'b'], ['b', 'c', 'c'])).toEqual({ added: ['c', 'c'], removed: ['a', 'b'] });
    expect(diffLines(['x'], ['x'])).toEqual({ added: [], removed: [] });
  });
});

describe('diffSnapshots', () => {
  it('names each part that changed', () => {
    const before = snapshot({ links: ['cni0 up'], files: ['ipam/net/lock'] });
    const after = snapshot({
      links: ['cni0 up', 'veth1 up master cni0'],
      nft: ['counter jump CNI-x'],
      files: ['ipam/net/lock', 'ipam/net/10.0.0.2'],
    });
    expect(diffSnapshots(before, after)).toEqual([
      '+ link veth1 up master cni0',
      '+ nft counter jump CNI-x',
      '+ state file ipam/net/10.0.0.2',
    ]);
    expect(diffSnapshots(after, before)).toEqual([
      '- link veth1 up master cni0',
      '- nft counter jump CNI-x',
      '- state file ipam/net/10.0.0.2',
    ]);
  });

  it('treats a missing nft as empty', () => {
    expect(diffSnapshots(snapshot({ nft: undefined }), snapshot({ nft: undefined }))).toEqual([]);
  });
});

describe('normalizeRuleset', () => {
  it('keeps one line per declaration and rule, with the blocks it is in', () => {
    const text = [
      '# Warning: table ip nat is managed by iptables-nft, do not touch!',
      'table ip nat {',
      '\tchain POSTROUTING {',
      '\t\ttype nat hook postrouting priority srcnat; policy accept;',
      '\t\t counter jump CNI-HOSTPORT-MASQ',
      '\t}',
      '',
      '\tset s {',
      '\t\telements = { 10.0.0.0/24 comment "zone:a" }',
      '\t}',
      '}',
    ].join('\n');
    expect(normalizeRuleset(text)).toEqual([
      'table ip nat',
      'table ip nat › chain POSTROUTING',
      'table ip nat › chain POSTROUTING › type nat hook postrouting priority srcnat; policy accept;',
      'table ip nat › chain POSTROUTING › counter jump CNI-HOSTPORT-MASQ',
      'table ip nat › set s',
      'table ip nat › set s › elements = { 10.0.0.0/24 comment "zone:a" }',
    ]);
  });
});

describe('summarizeDiff', () => {
  it('shows the first lines and counts the rest', () => {
    expect(summarizeDiff(['a', 'b', 'c'], 2)).toBe('a; b; … 1 more');
    expect(summarizeDiff(['a'])).toBe('a');
  });
});

describe('settledSnapshot', () => {
  it('polls until two snapshots agree', async () => {
    const sequence = [snapshot({ links: ['veth up'] }), snapshot(), snapshot()];
    let calls = 0;
    const settled = await settledSnapshot(async () => sequence[Math.min(calls++, 2)] as Snapshot, 1);
    expect(settled).toEqual(snapshot());
    expect(calls).toBe(3);
  });

  it('gives up after the allowed attempts with the last snapshot', async () => {
    let n = 0;
    const settled = await settledSnapshot(async () => snapshot({ links: [`l${n++}`] }), 1, 3);
    expect(settled.links).toEqual(['l3']);
  });
});
