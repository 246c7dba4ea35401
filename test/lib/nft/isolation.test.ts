import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import {
  addZoneIsolation,
  bridgesAllowing,
  isolationDrift,
  isolationInPlace,
  isolationRules,
  isolationStateOf,
  type IsolationState,
  ownAllowElements,
  removeZoneIsolation,
  restoreZoneIsolation,
  zoneAllowElements,
} from '../../../lib/nft/isolation.js';
import type { Element } from '../../../lib/nft/objects.js';
import { NftTable } from '../../../lib/nft/table.js';
import { Transaction } from '../../../lib/nft/transaction.js';

const a = { zone: 'a', bridge: 'vz-a', peers: ['vz-b'] };

const guard =
  'iifname "vz-*" oifname "vz-*" ct state new ct status & dnat == 0 iifname . oifname != @zone_allow oifname . iifname != @zone_allow';

const skeleton = [
  'add table inet cni_zones',
  'add set inet cni_zones zone_allow { type ifname . ifname ; }',
  'add chain inet cni_zones zone_isolation { type filter hook forward priority 0 ; policy accept ; }',
  'flush chain inet cni_zones zone_isolation',
  `add rule inet cni_zones zone_isolation ${guard} iifname . iifname @zone_allow drop comment "isolation: out of a zone"`,
  `add rule inet cni_zones zone_isolation ${guard} oifname . oifname @zone_allow drop comment "isolation: into a zone"`,
];

const element = (key: [string, string], comment: string): Element => ({
  kind: 'element',
  set: 'zone_allow',
  key: [`"${key[0]}"`, `"${key[1]}"`],
  comment,
});

const tx = () => new Transaction('cni_zones');

function fakeTable(): { nft: FakeNft; table: NftTable } {
  const nft = new FakeNft();
  return { nft, table: new NftTable('cni_zones', nft) };
}

async function stateOf(table: NftTable): Promise<IsolationState> {
  return { chain: await table.listChain('zone_isolation'), set: await table.listSet('zone_allow') };
}

describe('addZoneIsolation', () => {
  it('renders the chain, the set and the zone pairs: itself, then each allowed zone, its own bridge first', () => {
    expect(addZoneIsolation(tx(), a).render()).toBe(
      [
        ...skeleton,
        'add element inet cni_zones zone_allow { "vz-a" . "vz-a" comment "zone:a", "vz-a" . "vz-b" comment "zone:a" }',
        '',
      ].join('\n'),
    );
  });

  it('has fixed rules that never mention a zone', () => {
    expect(
      isolationRules()
        .map((rule) => rule.rule)
        .join('\n'),
    ).not.toMatch(/vz-[a-z]|zone:/);
  });

  it('lists itself once, each peer once, and never itself as a peer', () => {
    const keys = zoneAllowElements({ zone: 'a', bridge: 'vz-a', peers: ['vz-b', 'vz-a', 'vz-c', 'vz-b'] }).map((e) => e.key.join(' . '));
    expect(keys).toEqual(['"vz-a" . "vz-a"', '"vz-a" . "vz-b"', '"vz-a" . "vz-c"']);
  });

  it('leaves a chain in place alone and changes only the zone own pairs', async () => {
    const { nft, table } = fakeTable();
    await table.apply(addZoneIsolation(tx(), { zone: 'b', bridge: 'vz-b', peers: ['vz-a'] }));
    await table.apply(addZoneIsolation(tx(), { zone: 'c', bridge: 'vz-c', peers: [] }));
    await table.apply(addZoneIsolation(tx(), { zone: 'a', bridge: 'vz-a', peers: ['vz-b', 'vz-c'] }, await stateOf(table)));
    const state = await stateOf(table);
    expect(isolationInPlace(state)).toBe(true);
    // a allows c no more, allows d now: one delete, one add, and nothing else
    const change = addZoneIsolation(tx(), { zone: 'a', bridge: 'vz-a', peers: ['vz-b', 'vz-d'] }, state);
    expect(change.render()).toBe(
      [
        'delete element inet cni_zones zone_allow { "vz-a" . "vz-c" }',
        'add element inet cni_zones zone_allow { "vz-a" . "vz-d" comment "zone:a" }',
        '',
      ].join('\n'),
    );
    await table.apply(change);
    expect(nft.dump(['element'])).toBe(
      [
        'add element inet cni_zones zone_allow { "vz-a" . "vz-a" comment "zone:a" }',
        'add element inet cni_zones zone_allow { "vz-a" . "vz-b" comment "zone:a" }',
        'add element inet cni_zones zone_allow { "vz-a" . "vz-d" comment "zone:a" }',
        // b lists a too: its own pair, untouched by a's changes
        'add element inet cni_zones zone_allow { "vz-b" . "vz-a" comment "zone:b" }',
        'add element inet cni_zones zone_allow { "vz-b" . "vz-b" comment "zone:b" }',
        'add element inet cni_zones zone_allow { "vz-c" . "vz-c" comment "zone:c" }',
        '',
      ].join('\n'),
    );
    // as it is: nothing to do at all
    expect(addZoneIsolation(tx(), { zone: 'a', bridge: 'vz-a', peers: ['vz-b', 'vz-d'] }, await stateOf(table)).isEmpty()).toBe(true);
  });

  it('declares the chain again, with its rules once, when the chain or its rules are gone', async () => {
    const { nft, table } = fakeTable();
    await table.apply(addZoneIsolation(tx(), a));
    nft.load('flush table inet cni_zones');
    const flushed = await stateOf(table);
    expect(isolationInPlace(flushed)).toBe(false);
    await table.apply(addZoneIsolation(tx(), a, flushed));
    await table.apply(addZoneIsolation(tx(), a));
    expect(nft.dump(['chain', 'rule'])).toBe(
      [
        'add chain inet cni_zones zone_isolation { type filter hook forward priority 0 ; policy accept ; }',
        `add rule inet cni_zones zone_isolation ${guard} iifname . iifname @zone_allow drop comment "isolation: out of a zone"`,
        `add rule inet cni_zones zone_isolation ${guard} oifname . oifname @zone_allow drop comment "isolation: into a zone"`,
        '',
      ].join('\n'),
    );
    nft.load('delete table inet cni_zones');
    const gone = await stateOf(table);
    expect(gone).toEqual({ chain: undefined, set: undefined });
    expect(addZoneIsolation(tx(), a, gone).render()).toMatch(/^add table inet cni_zones\n/);
  });

  it('re-tags a pair of its own that carries another comment', () => {
    const state: IsolationState = {
      chain: undefined,
      set: { set: { kind: 'set', name: 'zone_allow', type: 'ifname . ifname' }, elements: [element(['vz-a', 'vz-b'], 'zone:old')] },
    };
    const lines = addZoneIsolation(tx(), a, state).render().split('\n');
    expect(lines.slice(skeleton.length)).toEqual([
      'delete element inet cni_zones zone_allow { "vz-a" . "vz-b" }',
      'add element inet cni_zones zone_allow { "vz-a" . "vz-a" comment "zone:a", "vz-a" . "vz-b" comment "zone:a" }',
      '',
    ]);
  });

  it('refuses names that are not zone and interface names', () => {
    const attempts = [
      { ...a, zone: 'a" ; flush ruleset ; "' },
      { ...a, zone: 'much-too-long-zone' },
      { ...a, bridge: 'vz-a" . "x' },
      { ...a, peers: ['vz-b" }\nflush ruleset\n'] },
      { ...a, peers: ['vz-much-too-long'] },
    ];
    for (const spec of attempts) {
      expect(() => addZoneIsolation(tx(), spec)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidNetworkConfig }));
    }
  });
});

describe('removing and restoring a zone pairs', () => {
  const listed = [
    element(['vz-a', 'vz-a'], 'zone:a'),
    element(['vz-a', 'vz-b'], 'zone:a'),
    element(['vz-b', 'vz-b'], 'zone:b'),
    element(['vz-b', 'vz-a'], 'zone:b'),
  ];

  it('deletes exactly the pairs whose key starts with the zone bridge', () => {
    expect(removeZoneIsolation(tx(), 'vz-a', listed).render()).toBe(
      'delete element inet cni_zones zone_allow { "vz-a" . "vz-a", "vz-a" . "vz-b" }\n',
    );
    expect(removeZoneIsolation(tx(), 'vz-c', listed).isEmpty()).toBe(true);
    expect(ownAllowElements(listed, 'vz-b').map((e) => e.key[1])).toEqual(['"vz-b"', '"vz-a"']);
  });

  it('puts the zone pairs back as they were', () => {
    const now = [element(['vz-a', 'vz-a'], 'zone:a'), element(['vz-a', 'vz-c'], 'zone:a'), element(['vz-b', 'vz-b'], 'zone:b')];
    expect(restoreZoneIsolation(tx(), 'vz-a', now, listed).render()).toBe(
      [
        'delete element inet cni_zones zone_allow { "vz-a" . "vz-c" }',
        'add element inet cni_zones zone_allow { "vz-a" . "vz-b" comment "zone:a" }',
        '',
      ].join('\n'),
    );
    expect(restoreZoneIsolation(tx(), 'vz-a', listed, listed).isEmpty()).toBe(true);
  });

  it('names the zones that allow a zone by their own pairs', () => {
    expect(bridgesAllowing(listed, 'vz-a')).toEqual(['vz-b']);
    expect(bridgesAllowing(listed, 'vz-c')).toEqual([]);
  });
});

describe('isolationDrift', () => {
  it('is empty when the table holds what the configuration says', async () => {
    const { table } = fakeTable();
    await table.apply(addZoneIsolation(tx(), a));
    expect(isolationDrift(a, await stateOf(table))).toEqual([]);
    // read from a listing of the whole table too
    expect(isolationDrift(a, isolationStateOf(await table.list()))).toEqual([]);
  });

  it('names the fixed part that is gone and the pairs that differ', async () => {
    const { nft, table } = fakeTable();
    await table.apply(addZoneIsolation(tx(), { ...a, peers: ['vz-b', 'vz-c'] }));
    expect(isolationDrift({ ...a, peers: ['vz-b', 'vz-d'] }, await stateOf(table))).toEqual([
      'zone_allow vz-a . vz-d missing',
      'zone_allow vz-a . vz-c not in allowZones',
    ]);
    nft.load('flush chain inet cni_zones zone_isolation');
    expect(isolationDrift(a, await stateOf(table))).toEqual([
      'chain zone_isolation has 0 rules, not its 2',
      'zone_allow vz-a . vz-c not in allowZones',
    ]);
    expect(isolationDrift(a, isolationStateOf(undefined))).toEqual([
      'chain zone_isolation missing',
      'set zone_allow missing',
      'zone_allow vz-a . vz-a missing',
      'zone_allow vz-a . vz-b missing',
    ]);
  });

  it('does not take another chain on the forward hook, or one that is not a base chain, for its own', async () => {
    const { nft, table } = fakeTable();
    nft.load(
      'add table inet cni_zones\nadd set inet cni_zones zone_allow { type ifname . ifname ; }\nadd chain inet cni_zones zone_isolation',
    );
    expect(isolationDrift(a, await stateOf(table))[0]).toBe('chain zone_isolation is not a filter chain on the forward hook');
  });
});
