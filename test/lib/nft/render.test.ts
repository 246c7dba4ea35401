import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import type { NftObject } from '../../../lib/nft/objects.js';
import { renderElementItem, renderElements, renderOperation, type Verb } from '../../../lib/nft/render.js';

const T = 'cni_zones';

function line(verb: Verb, object: NftObject): string {
  return renderOperation(T, { verb, object });
}

describe('tables', () => {
  it('renders add, create, delete and flush', () => {
    expect(line('add', { kind: 'table' })).toBe('add table inet cni_zones');
    expect(line('create', { kind: 'table', comment: 'cni-zones' })).toBe('create table inet cni_zones { comment "cni-zones" ; }');
    expect(line('delete', { kind: 'table', comment: 'ignored' })).toBe('delete table inet cni_zones');
    expect(line('flush', { kind: 'table' })).toBe('flush table inet cni_zones');
  });

  it('validates the table name it renders into', () => {
    expect(() => renderOperation('inet other', { verb: 'add', object: { kind: 'table' } })).toThrow('invalid nft table name');
  });
});

describe('families', () => {
  const bridge = (verb: Verb, object: NftObject) => renderOperation(T, { verb, object }, 'bridge');

  it('addresses every kind of line to our table of the family asked for', () => {
    expect(bridge('add', { kind: 'table' })).toBe('add table bridge cni_zones');
    expect(bridge('add', { kind: 'chain', name: 'f', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' })).toBe(
      'add chain bridge cni_zones f { type filter hook forward priority 0 ; policy accept ; }',
    );
    expect(bridge('flush', { kind: 'chain', name: 'f' })).toBe('flush chain bridge cni_zones f');
    expect(bridge('add', { kind: 'set', name: 's', type: 'ifname' })).toBe('add set bridge cni_zones s { type ifname ; }');
    expect(bridge('add', { kind: 'element', set: 's', key: ['"vx-a"'] })).toBe('add element bridge cni_zones s { "vx-a" }');
    expect(renderElements(T, 'delete', 's', [{ kind: 'element', set: 's', key: ['"vx-a"'] }], 'bridge')).toBe(
      'delete element bridge cni_zones s { "vx-a" }',
    );
    expect(bridge('add', { kind: 'rule', chain: 'f', rule: 'iifname "vx-*" udp dport { 67, 68 } drop', comment: 'c' })).toBe(
      'add rule bridge cni_zones f iifname "vx-*" udp dport { 67, 68 } drop comment "c"',
    );
    expect(bridge('delete', { kind: 'rule', chain: 'f', handle: 4 })).toBe('delete rule bridge cni_zones f handle 4');
    expect(bridge('delete', { kind: 'table' })).toBe('delete table bridge cni_zones');
  });

  it('is inet unless told', () => {
    expect(renderOperation(T, { verb: 'add', object: { kind: 'table' } }, 'inet')).toBe(line('add', { kind: 'table' }));
  });

  it('knows inet and bridge only', () => {
    for (const family of ['ip', 'netdev', 'inet x', 'bridge ; flush ruleset']) {
      const asked = family as unknown as 'inet';
      expect(() => renderOperation(T, { verb: 'add', object: { kind: 'table' } }, asked)).toThrow('invalid table family');
      expect(() => renderElements(T, 'add', 's', [{ kind: 'element', set: 's', key: ['1'] }], asked)).toThrow('invalid table family');
    }
  });

  it("takes numeric priorities only in a bridge table, where nft's names stand for other numbers", () => {
    expect(() => bridge('add', { kind: 'chain', name: 'f', type: 'filter', hook: 'forward', priority: 'filter' })).toThrow(
      'needs a numeric priority',
    );
    expect(bridge('add', { kind: 'chain', name: 'f', type: 'filter', hook: 'forward', priority: -200 })).toContain('priority -200');
  });
});

describe('chains', () => {
  it('renders a base chain with numeric priorities', () => {
    expect(line('add', { kind: 'chain', name: 'masq', type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' })).toBe(
      'add chain inet cni_zones masq { type nat hook postrouting priority 100 ; policy accept ; }',
    );
    // nft 1.0.6 rejects `priority dstnat` on the output hook; the number works everywhere
    expect(line('add', { kind: 'chain', name: 'out', type: 'nat', hook: 'output', priority: 'dstnat' })).toBe(
      'add chain inet cni_zones out { type nat hook output priority -100 ; }',
    );
    expect(line('create', { kind: 'chain', name: 'f', type: 'filter', hook: 'forward', priority: -5, comment: 'guard' })).toBe(
      'create chain inet cni_zones f { type filter hook forward priority -5 ; comment "guard" ; }',
    );
  });

  it('renders regular chains, flush and delete', () => {
    expect(line('add', { kind: 'chain', name: 'zone_web' })).toBe('add chain inet cni_zones zone_web');
    expect(line('add', { kind: 'chain', name: 'zone_web', comment: 'zone:web' })).toBe(
      'add chain inet cni_zones zone_web { comment "zone:web" ; }',
    );
    expect(line('flush', { kind: 'chain', name: 'zone_web' })).toBe('flush chain inet cni_zones zone_web');
    expect(line('delete', { kind: 'chain', name: 'zone_web', handle: 3 })).toBe('delete chain inet cni_zones zone_web');
  });

  it('rejects incomplete or inconsistent chains', () => {
    expect(() => line('add', { kind: 'chain', name: 'x', hook: 'input' })).toThrow('needs a type and a priority');
    expect(() => line('add', { kind: 'chain', name: 'x', type: 'nat' })).toThrow('no hook');
    expect(() => line('add', { kind: 'chain', name: 'x', type: 'nat', hook: 'input', priority: 1.5 })).toThrow('priority');
    const untyped = { kind: 'chain', name: 'x', type: 'nat', hook: 'input; flush ruleset', priority: 0 } as unknown as NftObject;
    expect(() => line('add', untyped)).toThrow('invalid hook');
    const badPolicy = { kind: 'chain', name: 'x', type: 'nat', hook: 'input', priority: 0, policy: 'accept ; x' } as unknown as NftObject;
    expect(() => line('add', badPolicy)).toThrow('invalid policy');
    const badPriority = { kind: 'chain', name: 'x', type: 'nat', hook: 'input', priority: 'toString' } as unknown as NftObject;
    expect(() => line('add', badPriority)).toThrow('priority');
  });
});

describe('sets and maps', () => {
  it('renders sets with flags and comments', () => {
    expect(line('add', { kind: 'set', name: 'zone_masq_v4', type: 'ipv4_addr', flags: ['interval'], comment: 'subnets' })).toBe(
      'add set inet cni_zones zone_masq_v4 { type ipv4_addr ; flags interval ; comment "subnets" ; }',
    );
    expect(line('create', { kind: 'set', name: 's', type: 'ipv4_addr . ifname', flags: ['interval', 'timeout'] })).toBe(
      'create set inet cni_zones s { type ipv4_addr . ifname ; flags interval,timeout ; }',
    );
    expect(line('flush', { kind: 'set', name: 's', type: 'x' })).toBe('flush set inet cni_zones s');
    expect(line('delete', { kind: 'set', name: 's', type: 'x' })).toBe('delete set inet cni_zones s');
  });

  it('renders concatenated maps', () => {
    expect(line('add', { kind: 'map', name: 'hostports', type: 'ipv4_addr . inet_service', valueType: 'ipv4_addr . inet_service' })).toBe(
      'add map inet cni_zones hostports { type ipv4_addr . inet_service : ipv4_addr . inet_service ; }',
    );
    expect(line('add', { kind: 'map', name: 'v', type: 'ipv4_addr', valueType: 'verdict', flags: ['interval'] })).toBe(
      'add map inet cni_zones v { type ipv4_addr : verdict ; flags interval ; }',
    );
    expect(line('delete', { kind: 'map', name: 'v', type: 'ipv4_addr', valueType: 'verdict' })).toBe('delete map inet cni_zones v');
  });

  it('flushes and deletes by name alone', () => {
    expect(renderOperation(T, { verb: 'flush', object: { kind: 'map', name: 'hostports' } })).toBe('flush map inet cni_zones hostports');
    expect(renderOperation(T, { verb: 'delete', object: { kind: 'set', name: 's' } })).toBe('delete set inet cni_zones s');
    expect(() => renderOperation(T, { verb: 'add', object: { kind: 'set', name: 's' } })).toThrow('needs its full declaration');
  });

  it('rejects bad types and flags', () => {
    expect(() => line('add', { kind: 'set', name: 's', type: 'ipv4_addr ; flags interval' })).toThrow('data type');
    const badFlag = { kind: 'set', name: 's', type: 'ipv4_addr', flags: ['interval ; x'] } as unknown as NftObject;
    expect(() => line('add', badFlag)).toThrow('invalid set flag');
  });
});

describe('elements', () => {
  it('renders keys, concatenations, comments and values', () => {
    expect(renderElementItem('add', { kind: 'element', set: 's', key: ['10.89.0.0/24'], comment: 'zone:web' })).toBe(
      '10.89.0.0/24 comment "zone:web"',
    );
    expect(
      renderElementItem('add', {
        kind: 'element',
        set: 'hostports',
        key: ['127.0.0.1', '8080'],
        value: ['10.89.0.2', '80'],
        comment: 'cnitool-0123abcd',
      }),
    ).toBe('127.0.0.1 . 8080 comment "cnitool-0123abcd" : 10.89.0.2 . 80');
    expect(renderElementItem('add', { kind: 'element', set: 'v', key: ['10.0.0.0/8'], value: ['jump zone_web'] })).toBe(
      '10.0.0.0/8 : jump zone_web',
    );
  });

  it('deletes by key only', () => {
    expect(
      renderElementItem('delete', { kind: 'element', set: 'm', key: ['127.0.0.1', '8080'], value: ['10.0.0.1', '80'], comment: 'x' }),
    ).toBe('127.0.0.1 . 8080');
  });

  it('puts several elements of one set on one line', () => {
    expect(
      renderElements(T, 'add', 's', [
        { kind: 'element', set: 's', key: ['10.89.0.0/24', '"vz-web"'], comment: 'zone:web' },
        { kind: 'element', set: 's', key: ['10.90.0.0/24', '"vz-db"'] },
      ]),
    ).toBe('add element inet cni_zones s { 10.89.0.0/24 . "vz-web" comment "zone:web", 10.90.0.0/24 . "vz-db" }');
    expect(line('create', { kind: 'element', set: 's', key: ['1.2.3.4'] })).toBe('create element inet cni_zones s { 1.2.3.4 }');
  });

  it('renders elements of one set only', () => {
    expect(() => renderElements(T, 'add', 's', [{ kind: 'element', set: 'other', key: ['1.2.3.4'] }])).toThrow('elements of other sets');
  });

  it('rejects injections and empty parts', () => {
    const attempts: NftObject[] = [
      { kind: 'element', set: 's', key: ['10.0.0.1 }\nflush ruleset\nadd element inet cni_zones s { 10.0.0.2'] },
      { kind: 'element', set: 's', key: ['10.0.0.1, 10.0.0.2'] },
      { kind: 'element', set: 's', key: ['10.0.0.1'], comment: 'x" ; flush ruleset ; "' },
      { kind: 'element', set: 's', key: ['10.0.0.1'], value: ['accept ; flush ruleset'] },
      { kind: 'element', set: 's x', key: ['10.0.0.1'] },
      { kind: 'element', set: 's', key: [] },
      { kind: 'element', set: 's', key: ['1'], value: [] },
    ];
    for (const object of attempts) expect(() => line('add', object)).toThrow();
    const [newline] = attempts as [NftObject];
    expect(() => line('add', newline)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidNetworkConfig }));
  });
});

describe('rules', () => {
  const rule = { kind: 'rule', chain: 'masq', rule: 'ip saddr @zone_masq_v4 masquerade' } as const;

  it('renders add, insert, replace and delete', () => {
    expect(line('add', rule)).toBe('add rule inet cni_zones masq ip saddr @zone_masq_v4 masquerade');
    expect(line('add', { ...rule, comment: 'zone:web' })).toBe(
      'add rule inet cni_zones masq ip saddr @zone_masq_v4 masquerade comment "zone:web"',
    );
    expect(line('add', { ...rule, handle: 7 })).toBe('add rule inet cni_zones masq handle 7 ip saddr @zone_masq_v4 masquerade');
    expect(line('insert', rule)).toBe('insert rule inet cni_zones masq ip saddr @zone_masq_v4 masquerade');
    expect(line('insert', { ...rule, index: 0 })).toBe('insert rule inet cni_zones masq index 0 ip saddr @zone_masq_v4 masquerade');
    expect(line('replace', { ...rule, handle: 9, comment: 'c' })).toBe(
      'replace rule inet cni_zones masq handle 9 ip saddr @zone_masq_v4 masquerade comment "c"',
    );
    expect(line('delete', { kind: 'rule', chain: 'masq', handle: 9 })).toBe('delete rule inet cni_zones masq handle 9');
  });

  it('needs handles and text where nft does', () => {
    expect(() => line('replace', rule)).toThrow('needs a handle');
    expect(() => line('delete', { kind: 'rule', chain: 'masq' })).toThrow('needs a handle');
    expect(() => line('add', { kind: 'rule', chain: 'masq' })).toThrow('without rule text');
    expect(() => line('add', { ...rule, handle: 1, index: 2 })).toThrow('not both');
    expect(() => line('add', { ...rule, index: -1 })).toThrow('index');
  });

  it('rejects rule text that reaches outside one rule', () => {
    expect(() => line('add', { ...rule, rule: 'accept\ndelete table inet other' })).toThrow('invalid nft rule');
    expect(() => line('add', { ...rule, rule: 'accept ; delete table inet other' })).toThrow('invalid nft rule');
    expect(() => line('add', { ...rule, chain: 'masq other' })).toThrow('invalid nft chain name');
  });
});

describe('verbs', () => {
  it.each([
    ['insert', { kind: 'table' }],
    ['replace', { kind: 'chain', name: 'c' }],
    ['flush', { kind: 'element', set: 's', key: ['1'] }],
    ['create', { kind: 'rule', chain: 'c', rule: 'accept' }],
    ['flush', { kind: 'rule', chain: 'c', rule: 'accept' }],
  ] as [Verb, NftObject][])('refuses %s of a %o', (verb, object) => {
    expect(() => line(verb, object)).toThrow(`nft cannot ${verb} a ${object.kind}`);
  });

  it('refuses unknown kinds', () => {
    expect(() => line('add', { kind: 'flowtable', name: 'f' } as unknown as NftObject)).toThrow('nft cannot add a flowtable');
  });
});
