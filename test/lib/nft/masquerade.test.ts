import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import type { Listing } from '../../../lib/nft/listing.js';
import {
  addZoneMasquerade,
  masqueradeRules,
  removeZoneMasquerade,
  zoneElementsIn,
  zoneMasqueradeElements,
  zoneTag,
} from '../../../lib/nft/masquerade.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import type { Element } from '../../../lib/nft/objects.js';
import { NftTable } from '../../../lib/nft/table.js';
import { Transaction } from '../../../lib/nft/transaction.js';

const web = { zone: 'web', bridge: 'vz-web', subnets: ['10.89.0.0/24', 'fd89::/64'] };

const skeleton = [
  'add table inet cni_zones',
  'add set inet cni_zones zone_masq_v4 { type ipv4_addr ; flags interval ; }',
  'add set inet cni_zones zone_local_v4 { type ipv4_addr . ifname ; flags interval ; }',
  'add set inet cni_zones zone_masq_v6 { type ipv6_addr ; flags interval ; }',
  'add set inet cni_zones zone_local_v6 { type ipv6_addr . ifname ; flags interval ; }',
  'add chain inet cni_zones zone_masquerade { type nat hook postrouting priority 100 ; policy accept ; }',
  'flush chain inet cni_zones zone_masquerade',
  'add rule inet cni_zones zone_masquerade ip saddr . oifname @zone_local_v4 return',
  'add rule inet cni_zones zone_masquerade ip saddr @zone_masq_v4 masquerade',
  'add rule inet cni_zones zone_masquerade ip6 saddr . oifname @zone_local_v6 return',
  'add rule inet cni_zones zone_masquerade ip6 saddr @zone_masq_v6 masquerade',
];

const element = (set: string, key: string[], comment?: string): Element =>
  comment === undefined ? { kind: 'element', set, key } : { kind: 'element', set, key, comment };

function listing(elements: Element[]): Listing {
  return { table: { kind: 'table' }, chains: [], sets: [], maps: [], rules: [], elements };
}

describe('addZoneMasquerade', () => {
  it('renders the skeleton and the zone elements, tagged by zone', () => {
    const tx = addZoneMasquerade(new Transaction('cni_zones'), web);
    expect(tx.render()).toBe(
      [
        ...skeleton,
        'add element inet cni_zones zone_masq_v4 { 10.89.0.0/24 comment "zone:web" }',
        'add element inet cni_zones zone_local_v4 { 10.89.0.0/24 . "vz-web" comment "zone:web" }',
        'add element inet cni_zones zone_masq_v6 { fd89::/64 comment "zone:web" }',
        'add element inet cni_zones zone_local_v6 { fd89::/64 . "vz-web" comment "zone:web" }',
        '',
      ].join('\n'),
    );
  });

  it('has fixed rules that never mention a zone', () => {
    expect(
      masqueradeRules()
        .map((rule) => rule.rule)
        .join('\n'),
    ).not.toMatch(/web|vz-/);
  });

  it('clears host bits and writes single addresses as nft lists them', () => {
    const elements = zoneMasqueradeElements({
      zone: 'db',
      bridge: 'vz-db',
      subnets: ['10.90.0.1/24', '10.91.0.7/32', 'fd90::1/64', 'fd91::1/128'],
    });
    expect(elements.filter((e) => e.key.length === 1).map((e) => e.key[0])).toEqual(['10.90.0.0/24', '10.91.0.7', 'fd90::/64', 'fd91::1']);
  });

  it('deletes outdated entries of the zone and re-tags keys another zone left, when given the current state', () => {
    const current = listing([
      element('zone_masq_v4', ['10.88.0.0/24'], 'zone:web'), // the zone's old subnet
      element('zone_local_v4', ['10.88.0.0/24', '"vz-web"'], 'zone:web'),
      element('zone_masq_v4', ['10.89.0.0/24'], 'zone:old'), // same subnet, other zone's tag
      element('zone_masq_v4', ['10.90.0.0/24'], 'zone:db'), // another zone: untouched
      element('zone_local_v4', ['10.89.0.0/24', '"vz-web"'], 'zone:web'), // already right
      element('ports', ['10.89.0.0/24'], 'zone:web'), // not a masquerade set
    ]);
    const lines = addZoneMasquerade(new Transaction('cni_zones'), { ...web, subnets: ['10.89.0.0/24'] }, current)
      .render()
      .split('\n');
    expect(lines.slice(skeleton.length)).toEqual([
      'delete element inet cni_zones zone_masq_v4 { 10.88.0.0/24, 10.89.0.0/24 }',
      'delete element inet cni_zones zone_local_v4 { 10.88.0.0/24 . "vz-web" }',
      'add element inet cni_zones zone_masq_v4 { 10.89.0.0/24 comment "zone:web" }',
      'add element inet cni_zones zone_local_v4 { 10.89.0.0/24 . "vz-web" comment "zone:web" }',
      '',
    ]);
  });

  it('rejects names and subnets that are not what they claim', () => {
    const attempts = [
      { ...web, zone: 'web" ; flush ruleset ; "' },
      { ...web, zone: 'web\nflush ruleset' },
      { ...web, bridge: 'vz-web" . "x' },
      { ...web, bridge: 'vz-web-too-long-name' },
      { ...web, subnets: ['10.89.0.0/24 }\nflush ruleset\n'] },
      { ...web, subnets: ['10.89.0.0'] },
      { ...web, subnets: ['10.89.0.0/33'] },
      { ...web, subnets: ['any'] },
    ];
    for (const spec of attempts) {
      expect(() => addZoneMasquerade(new Transaction('cni_zones'), spec)).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidNetworkConfig }),
      );
    }
  });
});

describe('removeZoneMasquerade', () => {
  const current = listing([
    element('zone_masq_v4', ['10.89.0.0/24'], 'zone:web'),
    element('zone_local_v4', ['10.89.0.0/24', '"vz-web"'], 'zone:web'),
    element('zone_masq_v4', ['10.90.0.0/24'], 'zone:db'),
    element('zone_masq_v4', ['10.91.0.0/24'], 'zone:web2'),
    element('zone_masq_v6', ['fd89::/64'], 'zone:web'),
    element('ports', ['10.89.0.0/24'], 'zone:web'),
  ]);

  it('deletes exactly the zone tagged elements of the masquerade sets', () => {
    expect(removeZoneMasquerade(new Transaction('cni_zones'), 'web', current).render()).toBe(
      [
        'delete element inet cni_zones zone_masq_v4 { 10.89.0.0/24 }',
        'delete element inet cni_zones zone_local_v4 { 10.89.0.0/24 . "vz-web" }',
        'delete element inet cni_zones zone_masq_v6 { fd89::/64 }',
        '',
      ].join('\n'),
    );
    expect(zoneElementsIn(current, 'db')).toEqual([element('zone_masq_v4', ['10.90.0.0/24'], 'zone:db')]);
  });

  it('adds nothing when the zone has no entries or the table is missing', () => {
    expect(removeZoneMasquerade(new Transaction('cni_zones'), 'none', current).isEmpty()).toBe(true);
    expect(removeZoneMasquerade(new Transaction('cni_zones'), 'web', undefined).isEmpty()).toBe(true);
  });

  it('validates the zone name', () => {
    expect(zoneTag('web')).toBe('zone:web');
    expect(() => zoneTag('a b')).toThrow('invalid zone name');
  });
});

describe('zone masquerade on a table', () => {
  it('leaves each zone exactly its elements, through repeats, a subnet taken over, a move and a removal', async () => {
    const nft = new FakeNft();
    const table = new NftTable('cni_zones', nft);
    const apply = async (build: (tx: Transaction, current: Listing | undefined) => Transaction) =>
      table.apply(build(table.transaction(), await table.list()));
    await apply((tx) => addZoneMasquerade(tx, web));
    await apply((tx, now) => addZoneMasquerade(tx, { zone: 'db', bridge: 'vz-db', subnets: ['10.90.0.0/24'] }, now));
    await apply((tx, now) => addZoneMasquerade(tx, web, now));
    const skeletonState = nft.dump(['table', 'set', 'chain', 'rule']);
    expect(nft.dump(['element'])).toBe(`\
add element inet cni_zones zone_local_v4 { 10.89.0.0/24 . "vz-web" comment "zone:web" }
add element inet cni_zones zone_local_v4 { 10.90.0.0/24 . "vz-db" comment "zone:db" }
add element inet cni_zones zone_local_v6 { fd89::/64 . "vz-web" comment "zone:web" }
add element inet cni_zones zone_masq_v4 { 10.89.0.0/24 comment "zone:web" }
add element inet cni_zones zone_masq_v4 { 10.90.0.0/24 comment "zone:db" }
add element inet cni_zones zone_masq_v6 { fd89::/64 comment "zone:web" }
`);
    // another zone on web's bridge takes its IPv4 subnet over; db moves
    await apply((tx, now) => addZoneMasquerade(tx, { zone: 'web2', bridge: 'vz-web', subnets: ['10.89.0.0/24'] }, now));
    await apply((tx, now) => addZoneMasquerade(tx, { zone: 'db', bridge: 'vz-db', subnets: ['10.91.0.0/24'] }, now));
    await apply((tx, now) => removeZoneMasquerade(tx, 'web', now));
    expect(nft.dump(['element'])).toBe(`\
add element inet cni_zones zone_local_v4 { 10.89.0.0/24 . "vz-web" comment "zone:web2" }
add element inet cni_zones zone_local_v4 { 10.91.0.0/24 . "vz-db" comment "zone:db" }
add element inet cni_zones zone_masq_v4 { 10.89.0.0/24 comment "zone:web2" }
add element inet cni_zones zone_masq_v4 { 10.91.0.0/24 comment "zone:db" }
`);
    expect(nft.dump(['table', 'set', 'chain', 'rule'])).toBe(skeletonState);
  });
});
