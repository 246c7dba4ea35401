import { describe, expect, it } from 'vitest';
import { nftFailure } from '../../../lib/nft/errors.js';
import { RecordingExecutor } from '../../../lib/nft/fake.js';
import { NftTable } from '../../../lib/nft/table.js';
import { Transaction } from '../../../lib/nft/transaction.js';

const notFound = (what: string) => nftFailure(what, 'Error: No such file or directory\nlist table inet cni_zones\n', 1);

const listingJson = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6' } },
    { table: { family: 'inet', name: 'cni_zones', handle: 2 } },
    { map: { family: 'inet', name: 'hp', table: 'cni_zones', type: ['ipv4_addr', 'inet_service'], handle: 3, map: 'ipv4_addr . inet_service',
        elem: [[{ elem: { val: { concat: ['127.0.0.1', 8080] }, comment: 'c1' } }, { concat: ['10.89.0.2', 80] }]] } },
    { set: { family: 'inet', name: 's', table: 'cni_zones', type: 'ipv4_addr', handle: 4, elem: ['10.0.0.1'] } },
    { chain: { family: 'inet', table: 'cni_zones', name: 'c', handle: 1 } },
    { chain: { family: 'inet', table: 'cni_zones', name: 'd', handle: 5 } },
    { rule: { family: 'inet', table: 'cni_zones', chain: 'c', handle: 6, comment: 'r', expr: [] } },
    { rule: { family: 'inet', table: 'cni_zones', chain: 'd', handle: 7, expr: [] } },
  ],
});

describe('NftTable', () => {
  it('validates its name and is always family inet', () => {
    expect(() => new NftTable('other; flush ruleset', new RecordingExecutor())).toThrow('invalid nft table name');
    const table = new NftTable('cni_zones', new RecordingExecutor());
    expect([table.family, table.name]).toEqual(['inet', 'cni_zones']);
    expect(table.transaction().table).toBe('cni_zones');
  });

  it('applies a transaction as one `nft -f -` call with the rendered text', async () => {
    const fake = new RecordingExecutor();
    const table = new NftTable('cni_zones', fake);
    const tx = table.transaction().add({ kind: 'table' }).add({ kind: 'element', set: 's', key: ['10.0.0.1'], comment: 'c' });
    await expect(table.apply(tx)).resolves.toBe(true);
    expect(fake.calls).toEqual([{ args: ['-f', '-'], stdin: 'add table inet cni_zones\nadd element inet cni_zones s { 10.0.0.1 comment "c" }\n' }]);
  });

  it('checks without applying when asked', async () => {
    const fake = new RecordingExecutor();
    const table = new NftTable('cni_zones', fake);
    await table.apply(table.transaction().add({ kind: 'table' }), { check: true });
    expect(fake.calls[0]?.args).toEqual(['-c', '-f', '-']);
  });

  it('starts no process for an empty transaction', async () => {
    const fake = new RecordingExecutor();
    const table = new NftTable('cni_zones', fake);
    await expect(table.apply(table.transaction())).resolves.toBe(false);
    expect(fake.calls).toEqual([]);
  });

  it('refuses a transaction made for another table', async () => {
    const fake = new RecordingExecutor();
    const table = new NftTable('cni_zones', fake);
    await expect(table.apply(new Transaction('other').add({ kind: 'table' }))).rejects.toThrow('transaction for table other');
    expect(fake.calls).toEqual([]);
  });

  it('passes nft failures on', async () => {
    const table = new NftTable('cni_zones', new RecordingExecutor(() => nftFailure('transaction', 'Error: Could not process rule: File exists', 1)));
    await expect(table.apply(table.transaction().create({ kind: 'table' }))).rejects.toMatchObject({ kind: 'exists' });
  });

  it('lists the table, only ours', async () => {
    const fake = new RecordingExecutor(() => listingJson);
    const contents = await new NftTable('cni_zones', fake).list();
    expect(fake.calls).toEqual([{ args: ['-j', 'list', 'table', 'inet', 'cni_zones'], stdin: '' }]);
    expect(contents?.table).toEqual({ kind: 'table' });
    expect(contents?.chains.map((c) => c.name)).toEqual(['c', 'd']);
    expect(contents?.elements).toHaveLength(2);
  });

  it('checks existence without set contents', async () => {
    const fake = new RecordingExecutor(() => listingJson);
    await expect(new NftTable('cni_zones', fake).exists()).resolves.toBe(true);
    expect(fake.calls[0]?.args).toEqual(['-t', '-j', 'list', 'table', 'inet', 'cni_zones']);
  });

  it('answers undefined for a table, chain, set or map that does not exist', async () => {
    const table = new NftTable('cni_zones', new RecordingExecutor(() => notFound('list')));
    await expect(table.list()).resolves.toBeUndefined();
    await expect(table.exists()).resolves.toBe(false);
    await expect(table.listChain('c')).resolves.toBeUndefined();
    await expect(table.listSet('s')).resolves.toBeUndefined();
    await expect(table.listMap('m')).resolves.toBeUndefined();
  });

  it('passes other listing failures on', async () => {
    const table = new NftTable('cni_zones', new RecordingExecutor(() => nftFailure('list', 'Error: Operation not permitted', 1)));
    await expect(table.list()).rejects.toThrow('Operation not permitted');
  });

  it('lists one chain with its rules, one set or map with its elements', async () => {
    const fake = new RecordingExecutor(() => listingJson);
    const table = new NftTable('cni_zones', fake);
    await expect(table.listChain('c')).resolves.toEqual({
      chain: { kind: 'chain', name: 'c', handle: 1 },
      rules: [{ kind: 'rule', chain: 'c', handle: 6, comment: 'r' }],
    });
    await expect(table.listMap('hp')).resolves.toEqual({
      map: { kind: 'map', name: 'hp', type: 'ipv4_addr . inet_service', valueType: 'ipv4_addr . inet_service', handle: 3 },
      elements: [{ kind: 'element', set: 'hp', key: ['127.0.0.1', '8080'], value: ['10.89.0.2', '80'], comment: 'c1' }],
    });
    await expect(table.listSet('s')).resolves.toEqual({
      set: { kind: 'set', name: 's', type: 'ipv4_addr', handle: 4 },
      elements: [{ kind: 'element', set: 's', key: ['10.0.0.1'] }],
    });
    await expect(table.listSet('hp')).resolves.toBeUndefined();
    expect(fake.calls.map((c) => c.args.join(' '))).toEqual([
      '-j list chain inet cni_zones c',
      '-j list map inet cni_zones hp',
      '-j list set inet cni_zones s',
      '-j list set inet cni_zones hp',
    ]);
    await expect(table.listChain('c; flush ruleset')).rejects.toThrow('invalid nft chain name');
    expect(fake.calls).toHaveLength(4);
  });
});
