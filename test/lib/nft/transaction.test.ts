import { describe, expect, it } from 'vitest';
import type { Element, NftObject } from '../../../lib/nft/objects.js';
import { Transaction } from '../../../lib/nft/transaction.js';

const element = (set: string, key: string[], comment?: string): Element =>
  comment === undefined ? { kind: 'element', set, key } : { kind: 'element', set, key, comment };

describe('Transaction', () => {
  it('validates its table name', () => {
    expect(() => new Transaction('cni_zones; flush ruleset')).toThrow('invalid nft table name');
    expect(new Transaction('cni_zones').table).toBe('cni_zones');
  });

  it('is bound to the inet table unless given the bridge family, and to nothing else', () => {
    expect(new Transaction('cni_zones').family).toBe('inet');
    const tx = new Transaction('cni_zones', 'bridge')
      .add({ kind: 'table' }, { kind: 'chain', name: 'f', type: 'filter', hook: 'forward', priority: 0 })
      .add({ kind: 'set', name: 's', type: 'ifname' }, element('s', ['"vx-a"']), element('s', ['"vx-b"']))
      .add({ kind: 'rule', chain: 'f', rule: 'iifname @s drop' })
      .destroy({ kind: 'table' });
    expect(tx.family).toBe('bridge');
    expect(tx.render()).toBe(
      [
        'add table bridge cni_zones',
        'add chain bridge cni_zones f { type filter hook forward priority 0 ; }',
        'add set bridge cni_zones s { type ifname ; }',
        'add element bridge cni_zones s { "vx-a", "vx-b" }',
        'add rule bridge cni_zones f iifname @s drop',
        'add table bridge cni_zones',
        'delete table bridge cni_zones',
        '',
      ].join('\n'),
    );
    expect(() => new Transaction('cni_zones', 'ip' as unknown as 'inet')).toThrow('invalid table family');
    // a bridge table's chains need numbers: the operation is refused where it is made
    expect(() => tx.add({ kind: 'chain', name: 'g', type: 'filter', hook: 'input', priority: 'filter' })).toThrow('numeric priority');
  });

  it('renders operations in the order they were made, one line each', () => {
    const tx = new Transaction('cni_zones')
      .add({ kind: 'table' })
      .add({ kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 100 })
      .flush({ kind: 'chain', name: 'post' })
      .add({ kind: 'rule', chain: 'post', rule: 'masquerade' })
      .insert({ kind: 'rule', chain: 'post', rule: 'ip daddr 224.0.0.0/4 return' })
      .replace({ kind: 'rule', chain: 'post', handle: 4, rule: 'drop' })
      .create({ kind: 'set', name: 's', type: 'ipv4_addr' })
      .delete({ kind: 'rule', chain: 'post', handle: 2 })
      .delete({ kind: 'table' });
    expect(tx.render()).toBe(
      [
        'add table inet cni_zones',
        'add chain inet cni_zones post { type nat hook postrouting priority 100 ; }',
        'flush chain inet cni_zones post',
        'add rule inet cni_zones post masquerade',
        'insert rule inet cni_zones post ip daddr 224.0.0.0/4 return',
        'replace rule inet cni_zones post handle 4 drop',
        'create set inet cni_zones s { type ipv4_addr ; }',
        'delete rule inet cni_zones post handle 2',
        'delete table inet cni_zones',
        '',
      ].join('\n'),
    );
    expect(tx.size).toBe(9);
    expect(tx.operations.map((op) => op.verb)).toEqual(['add', 'add', 'flush', 'add', 'insert', 'replace', 'create', 'delete', 'delete']);
  });

  it('destroys by adding, then deleting, every object in one go: one line per set and verb', () => {
    const tx = new Transaction('t').destroy(element('a', ['1.1.1.1'], 'c'), element('b', ['2.2.2.2']), element('a', ['1.1.1.2']), {
      kind: 'set',
      name: 's',
      type: 'ipv4_addr',
    });
    expect(tx.render()).toBe(
      [
        'add element inet t a { 1.1.1.1 comment "c", 1.1.1.2 }',
        'add element inet t b { 2.2.2.2 }',
        'add set inet t s { type ipv4_addr ; }',
        'delete element inet t a { 1.1.1.1, 1.1.1.2 }',
        'delete element inet t b { 2.2.2.2 }',
        'delete set inet t s',
        '',
      ].join('\n'),
    );
    expect(tx.operations.map((op) => op.verb)).toEqual(['add', 'add', 'add', 'add', 'delete', 'delete', 'delete', 'delete']);
  });

  it('takes nothing of a destroy whose objects do not all render', () => {
    const tx = new Transaction('t');
    expect(() => tx.destroy(element('s', ['10.0.0.1']), element('s', ['10.0.0.2 }']))).toThrow('invalid nft element literal');
    expect(tx.isEmpty()).toBe(true);
  });

  it('keeps several objects of one call in their order', () => {
    const tx = new Transaction('t').add({ kind: 'table' }, { kind: 'chain', name: 'a' }, { kind: 'chain', name: 'b' });
    expect(tx.render()).toBe('add table inet t\nadd chain inet t a\nadd chain inet t b\n');
  });

  it('joins a stretch of element operations of one verb into one line per set, and nothing across verbs or other objects', () => {
    const tx = new Transaction('t')
      .add(element('a', ['1.1.1.1']), element('a', ['1.1.1.2'], 'c'))
      .add(element('a', ['1.1.1.3']))
      .add(element('b', ['2.2.2.2']))
      .delete(element('b', ['2.2.2.3']))
      .add(element('a', ['1.1.1.4']))
      .add({ kind: 'chain', name: 'x' })
      .add(element('a', ['1.1.1.5']));
    expect(tx.render()).toBe(
      [
        'add element inet t a { 1.1.1.1, 1.1.1.2 comment "c", 1.1.1.3 }',
        'add element inet t b { 2.2.2.2 }',
        'delete element inet t b { 2.2.2.3 }',
        'add element inet t a { 1.1.1.4 }',
        'add chain inet t x',
        'add element inet t a { 1.1.1.5 }',
        '',
      ].join('\n'),
    );
    expect(tx.size).toBe(8);
  });

  it('groups interleaved sets of one verb by set, in the order the sets first appear', () => {
    const tx = new Transaction('t')
      .create(element('v4', ['tcp', '1']), element('v6', ['tcp', '1']), element('v4', ['tcp', '2']), element('v6', ['tcp', '2']))
      .add(element('v6', ['x']), element('v4', ['y']))
      .delete(element('v6', ['x']), element('v4', ['y']));
    expect(tx.render()).toBe(
      [
        'create element inet t v4 { tcp . 1, tcp . 2 }',
        'create element inet t v6 { tcp . 1, tcp . 2 }',
        'add element inet t v6 { x }',
        'add element inet t v4 { y }',
        'delete element inet t v6 { x }',
        'delete element inet t v4 { y }',
        '',
      ].join('\n'),
    );
  });

  it('renders any number of alternating element operations as the same few lines', () => {
    const lines = (n: number) => {
      const tx = new Transaction('t');
      const elements = Array.from({ length: n }, (_, i) => element(i % 2 ? 'v6' : 'v4', ['tcp', String(1 + (i >> 1))]));
      return tx.add(elements).delete(elements).add(elements).render().split('\n').length;
    };
    expect(lines(10)).toBe(7);
    expect(lines(20_000)).toBe(7);
  });

  it('takes lists of objects whole, longer than a spread into a call may be', () => {
    const elements = Array.from({ length: 150_000 }, (_, i) => element('s', [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`]));
    const tx = new Transaction('t').add({ kind: 'table' }, elements).delete([elements[0] as Element]);
    expect(tx.size).toBe(150_002);
    expect(tx.render().split('\n')).toHaveLength(4);
  });

  it('is empty until something is added, and renders nothing then', () => {
    const tx = new Transaction('t');
    expect(tx.isEmpty()).toBe(true);
    expect(tx.render()).toBe('');
    tx.add({ kind: 'table' });
    expect(tx.isEmpty()).toBe(false);
  });

  it('throws at the call that brings a bad value and keeps what it had', () => {
    const tx = new Transaction('t').add({ kind: 'table' });
    expect(() => tx.add(element('s', ['10.0.0.1']), element('s', ['10.0.0.2\nflush ruleset']))).toThrow('invalid nft element literal');
    expect(() => tx.add({ kind: 'rule', chain: 'c', rule: 'accept', comment: 'a"b' })).toThrow('invalid nft comment');
    expect(() => tx.flush({ kind: 'rule', chain: 'c', rule: 'x' } as unknown as NftObject as never)).toThrow('cannot flush');
    expect(tx.render()).toBe('add table inet t\n');
  });

  it('renders a 1000-element map on one line', () => {
    const tx = new Transaction('t');
    for (let i = 0; i < 1000; i++) {
      tx.add({ kind: 'element', set: 'm', key: ['127.0.0.1', String(1000 + i)], value: ['10.89.0.2', '80'], comment: `c${i}` });
    }
    const text = tx.render();
    expect(text.split('\n')).toHaveLength(2);
    expect(text.startsWith('add element inet t m { 127.0.0.1 . 1000 comment "c0" : 10.89.0.2 . 80, ')).toBe(true);
  });
});
