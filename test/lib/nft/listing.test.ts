import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { literalOf, parseListing } from '../../../lib/nft/listing.js';
import { Transaction } from '../../../lib/nft/transaction.js';

// `nft -j list table inet cni_zones` on nft 1.0.6 (captured on this machine, shortened).
const tableJson = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'cni_zones', handle: 2 } },
    {
      set: {
        family: 'inet',
        name: 'masq_v4',
        table: 'cni_zones',
        type: 'ipv4_addr',
        handle: 3,
        comment: 'subnets',
        flags: ['interval'],
        elem: [
          { elem: { val: { prefix: { addr: '10.89.0.0', len: 24 } }, comment: 'zone web' } },
          { elem: { val: { prefix: { addr: '10.90.0.0', len: 24 } }, comment: 'zone db' } },
        ],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'keep_v4',
        table: 'cni_zones',
        type: ['ipv4_addr', 'ifname'],
        handle: 4,
        flags: ['interval'],
        elem: [{ elem: { val: { concat: [{ prefix: { addr: '10.89.0.0', len: 24 } }, 'vz-web'] }, comment: 'zone web' } }],
      },
    },
    {
      map: {
        family: 'inet',
        name: 'hp',
        table: 'cni_zones',
        type: ['ipv4_addr', 'inet_service'],
        handle: 7,
        map: 'ipv4_addr . inet_service',
        elem: [
          [{ elem: { val: { concat: ['127.0.0.1', 8080] }, comment: 'abc123' } }, { concat: ['10.89.0.2', 80] }],
          [{ concat: ['127.0.0.1', 8081] }, { concat: ['10.89.0.3', 80] }],
        ],
      },
    },
    {
      map: {
        family: 'inet',
        name: 'vm',
        table: 'cni_zones',
        type: 'ipv4_addr',
        handle: 8,
        map: 'verdict',
        flags: ['interval'],
        elem: [
          [{ prefix: { addr: '10.0.0.0', len: 8 } }, { jump: { target: 'reg' } }],
          [{ range: ['11.0.0.1', '11.0.0.9'] }, { accept: null }],
        ],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'protos',
        table: 'cni_zones',
        type: ['inet_proto', 'inet_service'],
        handle: 9,
        elem: [{ elem: { val: { concat: ['udp', 53] }, comment: 'x' } }, { concat: ['tcp', 80] }],
      },
    },
    { set: { family: 'inet', name: 'empty', table: 'cni_zones', type: 'ipv6_addr', handle: 10, flags: 'interval' } },
    {
      chain: { family: 'inet', table: 'cni_zones', name: 'masq', handle: 1, type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' },
    },
    { chain: { family: 'inet', table: 'cni_zones', name: 'reg', handle: 2 } },
    {
      rule: {
        family: 'inet',
        table: 'cni_zones',
        chain: 'masq',
        handle: 5,
        expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '@keep_v4' } }, { return: null }],
      },
    },
    { rule: { family: 'inet', table: 'cni_zones', chain: 'masq', handle: 6, comment: 'masq', expr: [{ masquerade: null }] } },
    // not ours: another table's objects never leak into our listing
    { chain: { family: 'ip', table: 'cni_zones', name: 'foreign', handle: 1 } },
    { rule: { family: 'inet', table: 'other', chain: 'masq', handle: 6, expr: [] } },
    // our bridge table has the same name: it is ours only when the bridge family is asked for
    { table: { family: 'bridge', name: 'cni_zones', handle: 3 } },
    { chain: { family: 'bridge', table: 'cni_zones', name: 'fwd', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
    { rule: { family: 'bridge', table: 'cni_zones', chain: 'fwd', handle: 3, comment: 'dhcp', expr: [] } },
  ],
});

describe('parseListing', () => {
  const listing = parseListing(tableJson, 'cni_zones');

  it('finds the table', () => {
    expect(listing.table).toEqual({ kind: 'table' });
    expect(parseListing(tableJson, 'other').table).toBeUndefined();
  });

  it('keeps the table of the family asked for, inet unless told', () => {
    const bridge = parseListing(tableJson, 'cni_zones', 'bridge');
    expect(bridge).toEqual({
      table: { kind: 'table' },
      chains: [{ kind: 'chain', name: 'fwd', type: 'filter', hook: 'forward', priority: 0, policy: 'accept', handle: 1 }],
      sets: [],
      maps: [],
      elements: [],
      rules: [{ kind: 'rule', chain: 'fwd', handle: 3, comment: 'dhcp' }],
    });
    expect(listing.chains.map((chain) => chain.name)).not.toContain('fwd');
    expect(listing.rules.map((rule) => rule.chain)).not.toContain('fwd');
  });

  it('parses chains with hook, priority and policy', () => {
    expect(listing.chains).toEqual([
      { kind: 'chain', name: 'masq', type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept', handle: 1 },
      { kind: 'chain', name: 'reg', handle: 2 },
    ]);
  });

  it('parses sets and maps, joining concatenated types', () => {
    expect(listing.sets).toEqual([
      { kind: 'set', name: 'masq_v4', type: 'ipv4_addr', flags: ['interval'], comment: 'subnets', handle: 3 },
      { kind: 'set', name: 'keep_v4', type: 'ipv4_addr . ifname', flags: ['interval'], handle: 4 },
      { kind: 'set', name: 'protos', type: 'inet_proto . inet_service', handle: 9 },
      { kind: 'set', name: 'empty', type: 'ipv6_addr', flags: ['interval'], handle: 10 },
    ]);
    expect(listing.maps).toEqual([
      { kind: 'map', name: 'hp', type: 'ipv4_addr . inet_service', valueType: 'ipv4_addr . inet_service', handle: 7 },
      { kind: 'map', name: 'vm', type: 'ipv4_addr', valueType: 'verdict', flags: ['interval'], handle: 8 },
    ]);
  });

  it('parses elements into the literals we render, with comments', () => {
    expect(listing.elements).toEqual([
      { kind: 'element', set: 'masq_v4', key: ['10.89.0.0/24'], comment: 'zone web' },
      { kind: 'element', set: 'masq_v4', key: ['10.90.0.0/24'], comment: 'zone db' },
      { kind: 'element', set: 'keep_v4', key: ['10.89.0.0/24', '"vz-web"'], comment: 'zone web' },
      { kind: 'element', set: 'hp', key: ['127.0.0.1', '8080'], value: ['10.89.0.2', '80'], comment: 'abc123' },
      { kind: 'element', set: 'hp', key: ['127.0.0.1', '8081'], value: ['10.89.0.3', '80'] },
      { kind: 'element', set: 'vm', key: ['10.0.0.0/8'], value: ['jump reg'] },
      { kind: 'element', set: 'vm', key: ['11.0.0.1-11.0.0.9'], value: ['accept'] },
      { kind: 'element', set: 'protos', key: ['udp', '53'], comment: 'x' },
      { kind: 'element', set: 'protos', key: ['tcp', '80'] },
    ]);
  });

  it('parses rules with handle and comment, without text', () => {
    expect(listing.rules).toEqual([
      { kind: 'rule', chain: 'masq', handle: 5 },
      { kind: 'rule', chain: 'masq', handle: 6, comment: 'masq' },
    ]);
  });

  it('round-trips: what it read renders back (delete by the listing)', () => {
    const tx = new Transaction('cni_zones').delete(...listing.elements, ...listing.rules);
    expect(tx.render()).toBe(
      [
        'delete element inet cni_zones masq_v4 { 10.89.0.0/24, 10.90.0.0/24 }',
        'delete element inet cni_zones keep_v4 { 10.89.0.0/24 . "vz-web" }',
        'delete element inet cni_zones hp { 127.0.0.1 . 8080, 127.0.0.1 . 8081 }',
        'delete element inet cni_zones vm { 10.0.0.0/8, 11.0.0.1-11.0.0.9 }',
        'delete element inet cni_zones protos { udp . 53, tcp . 80 }',
        'delete rule inet cni_zones masq handle 5',
        'delete rule inet cni_zones masq handle 6',
        '',
      ].join('\n'),
    );
    expect(new Transaction('cni_zones').add(...listing.elements.slice(3, 4)).render()).toBe(
      'add element inet cni_zones hp { 127.0.0.1 . 8080 comment "abc123" : 10.89.0.2 . 80 }\n',
    );
  });

  it('rejects what is not an nft listing with a decoding error', () => {
    expect(() => parseListing('not json', 't')).toThrow(expect.objectContaining({ code: ErrorCode.DecodingFailure }));
    expect(() => parseListing('{"nftables": 3}', 't')).toThrow(expect.objectContaining({ code: ErrorCode.DecodingFailure }));
    expect(() => parseListing('{"nftables": [{"chain": {"name": 1}}]}', 't')).toThrow('invalid nft listing chain');
  });

  it('returns an empty listing for an empty answer', () => {
    expect(parseListing('{"nftables": [{"metainfo": {}}]}', 't')).toEqual({ chains: [], sets: [], maps: [], elements: [], rules: [] });
  });
});

describe('literalOf', () => {
  it('keeps unknown shapes visible so they cannot render', () => {
    expect(literalOf({ set: ['a'] }, 'ipv4_addr')).toBe('{"set":["a"]}');
    expect(literalOf({ goto: { target: 'x' } }, 'verdict')).toBe('goto x');
    expect(literalOf({ prefix: { addr: 'fd89::', len: 64 } }, 'ipv6_addr')).toBe('fd89::/64');
  });

  it('names the protocols we publish when a host without /etc/protocols lists their numbers', () => {
    expect([6, 17, 132].map((n) => literalOf(n, 'inet_proto'))).toEqual(['tcp', 'udp', 'sctp']);
    expect(literalOf(47, 'inet_proto')).toBe('47');
    expect(literalOf(6, 'inet_service')).toBe('6');
  });
});
