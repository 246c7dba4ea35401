// lib/nft against the real nft 1.0.6, each test in its own `czt-` namespace (nft runs there
// through the executor's netns option, i.e. `nsenter --net=PATH`): transactions applied and
// read back, all-or-nothing failures, a foreign table left alone, concatenated maps with
// container-ID comments, the masquerade skeleton, STATUS, and the cost of one transaction.

import { afterEach, beforeEach, expect } from 'vitest';
import { nftAvailable } from '../../lib/nft/available.js';
import { isExists, isNotFound } from '../../lib/nft/errors.js';
import { ProcessExecutor } from '../../lib/nft/executor.js';
import { addZoneMasquerade, removeZoneMasquerade } from '../../lib/nft/masquerade.js';
import type { Element, NftMap } from '../../lib/nft/objects.js';
import { NftTable } from '../../lib/nft/table.js';
import { createSandbox, nsExec, type Sandbox } from '../support/netns.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['nft', 'nsenter', 'ip']);

const hostports: NftMap = {
  kind: 'map',
  name: 'hostports',
  type: 'ipv4_addr . inet_service',
  valueType: 'ipv4_addr . inet_service',
};

function containerId(i: number): string {
  return i.toString(16).padStart(64, 'c');
}

function portElement(i: number): Element {
  return {
    kind: 'element',
    set: 'hostports',
    key: ['127.0.0.1', String(10_000 + i)],
    value: [`10.89.${Math.floor(i / 250)}.${(i % 250) + 2}`, '80'],
    comment: containerId(i),
  };
}

const foreignTable = `table inet other {
	set keep {
		type ipv4_addr
		elements = { 192.0.2.1 }
	}

	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr @keep masquerade comment "not ours"
	}
}
`;

priv.describe('lib/nft with the real nft', () => {
  let sandbox: Sandbox;
  let table: NftTable;
  const nftIn = (args: string[], input?: string) => nsExec(sandbox.host, 'nft', args, input === undefined ? {} : { input });

  beforeEach(async () => {
    sandbox = await createSandbox();
    table = new NftTable('cni_zones', new ProcessExecutor({ netns: sandbox.host.path }));
  });
  afterEach(() => sandbox.cleanup());

  priv.it('applies a transaction and reads the same objects back', async () => {
    const tx = table
      .transaction()
      .add({ kind: 'table' })
      .add({ kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' })
      .add({ kind: 'chain', name: 'out', type: 'nat', hook: 'output', priority: 'dstnat' })
      .add({ kind: 'set', name: 'subnets', type: 'ipv4_addr', flags: ['interval'], comment: 'zone subnets' })
      .add({ kind: 'element', set: 'subnets', key: ['10.89.0.0/24'], comment: 'zone:web' })
      .add({ kind: 'rule', chain: 'post', rule: 'ip saddr @subnets masquerade', comment: 'masq' });
    await expect(table.apply(tx)).resolves.toBe(true);

    const contents = await table.list();
    expect(contents?.chains).toEqual([
      { kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept', handle: expect.any(Number) },
      { kind: 'chain', name: 'out', type: 'nat', hook: 'output', priority: -100, policy: 'accept', handle: expect.any(Number) },
    ]);
    expect(contents?.sets).toEqual([
      { kind: 'set', name: 'subnets', type: 'ipv4_addr', flags: ['interval'], comment: 'zone subnets', handle: expect.any(Number) },
    ]);
    expect(contents?.elements).toEqual([{ kind: 'element', set: 'subnets', key: ['10.89.0.0/24'], comment: 'zone:web' }]);
    expect(contents?.rules).toEqual([{ kind: 'rule', chain: 'post', handle: expect.any(Number), comment: 'masq' }]);

    const [rule] = contents?.rules ?? [];
    await table.apply(
      table.transaction().replace({ kind: 'rule', chain: 'post', handle: rule?.handle, rule: 'ip saddr @subnets return', comment: 'r' }),
    );
    expect((await nftIn(['list', 'chain', 'inet', 'cni_zones', 'post'])).stdout).toContain('ip saddr @subnets return comment "r"');
    await table.apply(table.transaction().delete({ kind: 'rule', chain: 'post', handle: rule?.handle }));
    expect((await table.listChain('post'))?.rules).toEqual([]);
  });

  priv.it('changes nothing when one part of a transaction fails', async () => {
    await table.apply(table.transaction().add({ kind: 'table' }, hostports, portElement(1)));
    const before = (await nftIn(['list', 'ruleset'])).stdout;

    // Valid commands first, then a key that is already mapped to another value.
    const conflicting = { ...portElement(1), value: ['10.89.9.9', '80'] };
    const tx = table
      .transaction()
      .add({ kind: 'chain', name: 'extra' })
      .add({ kind: 'set', name: 'more', type: 'ipv4_addr' })
      .add(portElement(2), portElement(3), conflicting, portElement(4))
      .delete({ kind: 'map', name: 'hostports' });
    const exists = await table.apply(tx).catch((e: unknown) => e);
    expect(isExists(exists)).toBe(true);
    expect((await nftIn(['list', 'ruleset'])).stdout).toBe(before);

    // A missing element to delete fails the same way, as not-found.
    const missing = await table.apply(table.transaction().add(portElement(5)).delete(portElement(6))).catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);
    expect((await nftIn(['list', 'ruleset'])).stdout).toBe(before);
  });

  priv.it('never touches a table that is not ours, even when deleting its own', async () => {
    await nftIn(['-f', '-'], foreignTable);
    const foreignBefore = (await nftIn(['list', 'table', 'inet', 'other'])).stdout;
    expect(foreignBefore).toBe(foreignTable.trimEnd());

    await table.apply(addZoneMasquerade(table.transaction(), { zone: 'web', bridge: 'vz-web', subnets: ['192.0.2.0/24'] }));
    await table.apply(table.transaction().flush({ kind: 'table' }));
    await table.apply(table.transaction().delete({ kind: 'table' }));
    await expect(table.exists()).resolves.toBe(false);
    // deleting again: not-found, and still nothing else touched
    const again = await table.apply(table.transaction().delete({ kind: 'table' })).catch((e: unknown) => e);
    expect(isNotFound(again)).toBe(true);

    expect((await nftIn(['list', 'table', 'inet', 'other'])).stdout).toBe(foreignBefore);
    expect((await nftIn(['list', 'tables'])).stdout).toBe('table inet other');
  });

  priv.it('keeps a concatenated map `ipv4_addr . inet_service : ipv4_addr . inet_service` with container-ID comments', async () => {
    const elements = [1, 2, 3].map(portElement);
    await table.apply(table.transaction().add({ kind: 'table' }, hostports, ...elements));
    const listed = await table.listMap('hostports');
    expect(listed?.map).toEqual({ ...hostports, handle: expect.any(Number) });
    expect(listed?.elements).toEqual(elements);
    expect((await nftIn(['list', 'map', 'inet', 'cni_zones', 'hostports'])).stdout).toContain(
      `127.0.0.1 . 10001 comment "${containerId(1)}" : 10.89.0.3 . 80`,
    );

    // Adding the same elements again is a no-op; what DEL finds by container ID it deletes by key.
    await table.apply(table.transaction().add(...elements));
    const ofContainer2 = (await table.listMap('hostports'))?.elements.filter((e) => e.comment === containerId(2)) ?? [];
    await table.apply(table.transaction().delete(...ofContainer2));
    expect((await table.listMap('hostports'))?.elements.map((e) => e.comment)).toEqual([containerId(1), containerId(3)]);

    // Deleting without reading first: `add` then `delete` of the same key in one transaction
    // succeeds whether the element was there (container 3) or not (container 2, gone already).
    await table.apply(table.transaction().add(portElement(3), portElement(2)).delete(portElement(3), portElement(2)));
    expect((await table.listMap('hostports'))?.elements.map((e) => e.comment)).toEqual([containerId(1)]);
  });

  priv.it('applies the masquerade skeleton idempotently and removes exactly one zone', async () => {
    const web = { zone: 'web', bridge: 'vz-web', subnets: ['10.89.0.0/24', 'fd89::/64'] };
    const db = { zone: 'db', bridge: 'vz-db', subnets: ['10.90.0.0/24'] };
    await table.apply(addZoneMasquerade(table.transaction(), web));
    await table.apply(addZoneMasquerade(table.transaction(), web));
    await table.apply(addZoneMasquerade(table.transaction(), db));
    const text = (await nftIn(['list', 'chain', 'inet', 'cni_zones', 'zone_masquerade'])).stdout;
    expect(text.match(/masquerade$/gm)).toHaveLength(2); // one copy of the fixed rules after three runs
    expect((await table.list())?.elements).toHaveLength(6);

    // the zone moves to another subnet; with the current state its old entries go
    await table.apply(addZoneMasquerade(table.transaction(), { ...web, subnets: ['10.88.0.0/24'] }, await table.list()));
    const afterMove = (await table.list())?.elements.filter((e) => e.comment === 'zone:web').map((e) => e.key.join(' . '));
    expect(afterMove).toEqual(['10.88.0.0/24', '10.88.0.0/24 . "vz-web"']);

    // a subnet another zone left behind is taken over (deleted and re-added in one transaction)
    await table.apply(
      addZoneMasquerade(table.transaction(), { zone: 'db2', bridge: 'vz-db2', subnets: ['10.90.0.0/24'] }, await table.list()),
    );
    const subnets = (await table.listSet('zone_masq_v4'))?.elements.map((e) => `${e.key[0]} ${e.comment}`);
    expect(subnets?.sort()).toEqual(['10.88.0.0/24 zone:web', '10.90.0.0/24 zone:db2']);

    await table.apply(removeZoneMasquerade(table.transaction(), 'web', await table.list()));
    const left = (await table.list())?.elements.map((e) => e.comment);
    expect(left?.sort()).toEqual(['zone:db', 'zone:db2', 'zone:db2']);
    // nothing left for the zone: an empty transaction, and no nft process
    expect(removeZoneMasquerade(table.transaction(), 'web', await table.list()).isEmpty()).toBe(true);
  });

  priv.it('reports nft as available inside the namespace, and a missing binary as not', async () => {
    await expect(nftAvailable(new ProcessExecutor({ netns: sandbox.host.path }))).resolves.toEqual({ available: true });
    const missing = await nftAvailable(new ProcessExecutor({ netns: sandbox.host.path, nft: '/nonexistent/nft' }));
    expect(missing.available).toBe(false);
  });

  priv.it('measures one transaction with 1, 100 and 1000 map elements', async () => {
    await table.apply(table.transaction().add({ kind: 'table' }, hostports));
    const nsenterOnly = new ProcessExecutor({ netns: sandbox.host.path, nft: '/bin/true' });
    const rounds = 7;
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const time = async (run: () => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const started = performance.now();
        await run();
        samples.push(performance.now() - started);
      }
      return median(samples);
    };
    const baseline = await time(() => nsenterOnly.run(['-f', '-'], ''));
    const results: Record<string, number> = {};
    for (const count of [1, 100, 1000]) {
      const elements = Array.from({ length: count }, (_, i) => portElement(i));
      // flush + add: every round writes all elements again, as a full resync would
      results[count] = await time(() =>
        table.apply(
          table
            .transaction()
            .flush(hostports)
            .add(...elements),
        ),
      );
      expect((await table.listMap('hostports'))?.elements).toHaveLength(count);
    }
    const listing = await time(() => table.listMap('hostports'));
    console.info(
      `[nft timing] median of ${rounds}, including ~${baseline.toFixed(1)} ms for spawn+nsenter: ` +
        Object.entries(results)
          .map(([n, ms]) => `${n} elements ${ms.toFixed(1)} ms`)
          .join(', ') +
        `; list map (1000 elements) ${listing.toFixed(1)} ms`,
    );
  });
});
