import { describe, expect, it } from 'vitest';
import { nftFailure } from '../../../lib/nft/errors.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import { NftTable } from '../../../lib/nft/table.js';
import { Transaction } from '../../../lib/nft/transaction.js';

// Our table beside someone else's, as `nft -f` would build them.
const state = `\
add table inet cni_zones
add map inet cni_zones hp { type ipv4_addr . inet_service : ipv4_addr . inet_service ; }
add set inet cni_zones s { type ipv4_addr ; }
add chain inet cni_zones c
add chain inet cni_zones d
add rule inet cni_zones c accept comment "r"
add rule inet cni_zones d drop
add element inet cni_zones hp { 127.0.0.1 . 8080 comment "c1" : 10.89.0.2 . 80 }
add element inet cni_zones s { 10.0.0.1 }
add table inet other
add chain inet other c
add rule inet other c accept comment "r"
`;

describe('NftTable', () => {
  it('validates its name and is family inet unless told', () => {
    expect(() => new NftTable('other; flush ruleset', new FakeNft())).toThrow('invalid nft table name');
    const table = new NftTable('cni_zones', new FakeNft());
    expect([table.family, table.name]).toEqual(['inet', 'cni_zones']);
    expect(table.transaction().table).toBe('cni_zones');
  });

  it('addresses the bridge table of the same name when given the family, and never the other', async () => {
    const nft = new FakeNft().load(
      `${state}add table bridge cni_zones\nadd chain bridge cni_zones c { type filter hook forward priority 0 ; }\n`,
    );
    const bridge = new NftTable('cni_zones', nft, 'bridge');
    expect([bridge.family, bridge.transaction().family]).toEqual(['bridge', 'bridge']);
    const listed = await bridge.list();
    expect(listed?.chains).toEqual([
      { kind: 'chain', name: 'c', type: 'filter', hook: 'forward', priority: 0, policy: 'accept', handle: 1 },
    ]);
    expect([listed?.sets, listed?.maps, listed?.rules, listed?.elements]).toEqual([[], [], [], []]);
    await expect(bridge.listChain('d')).resolves.toBeUndefined();
    await expect(bridge.apply(new NftTable('cni_zones', nft).transaction().delete({ kind: 'table' }))).rejects.toThrow(
      'transaction for table inet cni_zones applied to table bridge cni_zones',
    );
    await bridge.apply(bridge.transaction().delete({ kind: 'table' }));
    expect(nft.calls.map((c) => c.args.join(' '))).toEqual(['-j list table bridge cni_zones', '-j list chain bridge cni_zones d', '-f -']);
    expect(nft.dump(['table'])).toBe('add table inet cni_zones\nadd table inet other\n');
    expect(() => new NftTable('cni_zones', nft, 'netdev' as unknown as 'inet')).toThrow('invalid table family');
  });

  it('applies a transaction as one `nft -f -` call with the rendered text', async () => {
    const nft = new FakeNft();
    const table = new NftTable('cni_zones', nft);
    const tx = table
      .transaction()
      .add({ kind: 'table' }, { kind: 'set', name: 's', type: 'ipv4_addr' })
      .add({ kind: 'element', set: 's', key: ['10.0.0.1'], comment: 'c' });
    await expect(table.apply(tx)).resolves.toBe(true);
    expect(nft.calls).toEqual([{ args: ['-f', '-'], stdin: tx.render() }]);
    expect(nft.dump(['element'])).toBe('add element inet cni_zones s { 10.0.0.1 comment "c" }\n');
  });

  it('checks without applying when asked', async () => {
    const nft = new FakeNft();
    const table = new NftTable('cni_zones', nft);
    await table.apply(table.transaction().add({ kind: 'table' }), { check: true });
    expect(nft.calls[0]?.args).toEqual(['-c', '-f', '-']);
    expect(nft.dump()).toBe('');
  });

  it('starts no process for an empty transaction', async () => {
    const nft = new FakeNft();
    const table = new NftTable('cni_zones', nft);
    await expect(table.apply(table.transaction())).resolves.toBe(false);
    expect(nft.calls).toEqual([]);
  });

  it('refuses a transaction made for another table', async () => {
    const nft = new FakeNft();
    const table = new NftTable('cni_zones', nft);
    await expect(table.apply(new Transaction('other').add({ kind: 'table' }))).rejects.toThrow('transaction for table inet other');
    expect(nft.calls).toEqual([]);
  });

  it('passes nft failures on, and nothing of the transaction stays', async () => {
    const nft = new FakeNft().load('add table inet cni_zones\n');
    const table = new NftTable('cni_zones', nft);
    await expect(table.apply(table.transaction().add({ kind: 'chain', name: 'c' }).create({ kind: 'table' }))).rejects.toMatchObject({
      reason: 'exists',
    });
    expect(nft.dump()).toBe('add table inet cni_zones\n');
  });

  it('lists the table, only ours', async () => {
    const nft = new FakeNft().load(state);
    const contents = await new NftTable('cni_zones', nft).list();
    expect(nft.calls).toEqual([{ args: ['-j', 'list', 'table', 'inet', 'cni_zones'], stdin: '' }]);
    expect(contents?.table).toEqual({ kind: 'table' });
    expect(contents?.chains.map((c) => c.name)).toEqual(['c', 'd']);
    expect(contents?.rules.map((r) => r.chain)).toEqual(['c', 'd']);
    expect(contents?.elements).toHaveLength(2);
  });

  it('checks existence without set contents', async () => {
    const nft = new FakeNft().load(state);
    await expect(new NftTable('cni_zones', nft).exists()).resolves.toBe(true);
    expect(nft.calls[0]?.args).toEqual(['-t', '-j', 'list', 'table', 'inet', 'cni_zones']);
    await expect(new NftTable('nosuch', nft).exists()).resolves.toBe(false);
  });

  it('answers undefined for a table, chain, set or map that does not exist', async () => {
    const table = new NftTable('cni_zones', new FakeNft());
    await expect(table.list()).resolves.toBeUndefined();
    await expect(table.exists()).resolves.toBe(false);
    await expect(table.listChain('c')).resolves.toBeUndefined();
    await expect(table.listSet('s')).resolves.toBeUndefined();
    await expect(table.listMap('m')).resolves.toBeUndefined();
  });

  it('passes other listing failures on', async () => {
    const denied = new FakeNft(() => nftFailure('list', 'Error: Operation not permitted', 1));
    await expect(new NftTable('cni_zones', denied).list()).rejects.toThrow('Operation not permitted');
  });

  it('lists one chain with its rules, one set or map with its elements', async () => {
    const nft = new FakeNft().load(state);
    const table = new NftTable('cni_zones', nft);
    // handles as the kernel gives them: per table, in the order objects were made
    await expect(table.listChain('c')).resolves.toEqual({
      chain: { kind: 'chain', name: 'c', handle: 3 },
      rules: [{ kind: 'rule', chain: 'c', handle: 5, comment: 'r' }],
    });
    await expect(table.listMap('hp')).resolves.toEqual({
      map: { kind: 'map', name: 'hp', type: 'ipv4_addr . inet_service', valueType: 'ipv4_addr . inet_service', handle: 1 },
      elements: [{ kind: 'element', set: 'hp', key: ['127.0.0.1', '8080'], value: ['10.89.0.2', '80'], comment: 'c1' }],
    });
    await expect(table.listSet('s')).resolves.toEqual({
      set: { kind: 'set', name: 's', type: 'ipv4_addr', handle: 2 },
      elements: [{ kind: 'element', set: 's', key: ['10.0.0.1'] }],
    });
    await expect(table.listSet('hp')).resolves.toBeUndefined();
    expect(nft.calls.map((c) => c.args.join(' '))).toEqual([
      '-j list chain inet cni_zones c',
      '-j list map inet cni_zones hp',
      '-j list set inet cni_zones s',
      '-j list set inet cni_zones hp',
    ]);
    await expect(table.listChain('c; flush ruleset')).rejects.toThrow('invalid nft chain name');
    expect(nft.calls).toHaveLength(4);
  });
});
