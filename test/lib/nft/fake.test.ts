import { describe, expect, it } from 'vitest';
import { isExists, isNftError, isNotFound, NftError } from '../../../lib/nft/errors.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import type { Element, NftMap, NftObject, NftSet } from '../../../lib/nft/objects.js';
import { NftTable } from '../../../lib/nft/table.js';

const ports: NftMap = { kind: 'map', name: 'ports', type: 'inet_proto . inet_service', valueType: 'ipv4_addr . inet_service' };
const subnets: NftSet = { kind: 'set', name: 'subnets', type: 'ipv4_addr', flags: ['interval'] };
const local: NftSet = { kind: 'set', name: 'local', type: 'ipv4_addr . ifname', flags: ['interval'] };
const port = (n: number, to = '10.89.0.5', comment = 'c1'): Element => ({
  kind: 'element',
  set: 'ports',
  key: ['tcp', String(n)],
  value: [to, '80'],
  comment,
});
const subnet = (cidr: string, comment?: string): Element => ({ kind: 'element', set: 'subnets', key: [cidr], ...(comment && { comment }) });

function setUp(...objects: NftObject[]) {
  const nft = new FakeNft();
  const table = new NftTable('t', nft);
  const apply = (tx: ReturnType<NftTable['transaction']>) => table.apply(tx);
  return { nft, table, apply, ready: apply(table.transaction().add({ kind: 'table' }, ports, subnets, local, ...objects)) };
}

async function failure(promise: Promise<unknown>): Promise<NftError> {
  const e = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(e instanceof NftError)) throw new Error(`expected an NftError, got ${String(e)}`);
  return e;
}

describe('FakeNft state', () => {
  it('applies transactions and dumps the state by name and key, whatever order it came in', async () => {
    const { nft, table, apply, ready } = setUp();
    await ready;
    await apply(
      table
        .transaction()
        .add({ kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 'srcnat' }, { kind: 'chain', name: 'dnat' })
        .add(
          { kind: 'rule', chain: 'post', rule: 'ip saddr @subnets masquerade', comment: 'masq' },
          { kind: 'rule', chain: 'dnat', rule: 'return' },
        )
        .add(port(8080), port(80), port(10000, '10.89.0.6', 'c2'), subnet('10.89.0.0/24', 'zone:web')),
    );
    expect(nft.dump()).toBe(`\
add table inet t
add set inet t local { type ipv4_addr . ifname ; flags interval ; }
add map inet t ports { type inet_proto . inet_service : ipv4_addr . inet_service ; }
add set inet t subnets { type ipv4_addr ; flags interval ; }
add chain inet t dnat
add chain inet t post { type nat hook postrouting priority 100 ; policy accept ; }
add rule inet t dnat return
add rule inet t post ip saddr @subnets masquerade comment "masq"
add element inet t ports { tcp . 80 comment "c1" : 10.89.0.5 . 80 }
add element inet t ports { tcp . 8080 comment "c1" : 10.89.0.5 . 80 }
add element inet t ports { tcp . 10000 comment "c2" : 10.89.0.6 . 80 }
add element inet t subnets { 10.89.0.0/24 comment "zone:web" }
`);
    expect(nft.dump(['element'])).toBe(
      nft
        .dump()
        .split('\n')
        .filter((line) => line.startsWith('add element'))
        .map((line) => `${line}\n`)
        .join(''),
    );

    const again = new FakeNft().load(nft.dump());
    expect(again.dump()).toBe(nft.dump());
    expect(new FakeNft().dump()).toBe('');

    const other = setUp();
    await other.ready;
    const reordered = other.table
      .transaction()
      .add(subnet('10.89.0.0/24', 'zone:web'), port(10000, '10.89.0.6', 'c2'), port(8080), port(80));
    await other.apply(reordered.destroy(port(80)).add(port(80)));
    expect(other.nft.dump(['element'])).toBe(nft.dump(['element']));
  });

  it('records every call with its input, and lets a hook watch or fail one', async () => {
    const seen: string[] = [];
    const nft = new FakeNft((call) => void seen.push(call.args.join(' ')));
    const table = new NftTable('t', nft);
    await table.apply(table.transaction().add({ kind: 'table' }));
    await table.list();
    expect(nft.calls).toEqual([
      { args: ['-f', '-'], stdin: 'add table inet t\n' },
      { args: ['-j', 'list', 'table', 'inet', 't'], stdin: '' },
    ]);
    expect(nft.inputs).toEqual(['add table inet t\n']);
    expect(seen).toEqual(['-f -', '-j list table inet t']);

    nft.onRun((call) => (call.args.includes('-f') ? new Error('boom') : undefined));
    await expect(table.apply(table.transaction().delete({ kind: 'table' }))).rejects.toThrow('boom');
    expect(nft.dump()).toBe('add table inet t\n');
  });
});

describe('FakeNft batches', () => {
  it('apply whole or not at all: a failure on the last line leaves everything as it was', async () => {
    const { nft, table, apply, ready } = setUp();
    await ready;
    await apply(table.transaction().add(port(1)));
    const before = nft.dump();
    const e = await failure(apply(table.transaction().add(port(2), { kind: 'chain', name: 'c' }).delete(subnets).create(port(1))));
    expect(e).toMatchObject({ reason: 'exists', message: 'nft transaction failed: Could not process rule: File exists', exitCode: 1 });
    expect(e.stderr).toBe(
      '/dev/stdin:4:31-50: Error: Could not process rule: File exists\n' +
        'create element inet t ports { tcp . 1 comment "c1" : 10.89.0.5 . 80 }\n' +
        '                              ^^^^^^^^^^^^^^^^^^^^\n',
    );
    expect(nft.dump()).toBe(before);
  });

  it('only check with -c', async () => {
    const { nft, table, ready } = setUp();
    await ready;
    const before = nft.dump();
    await table.apply(table.transaction().add({ kind: 'chain', name: 'c' }), { check: true });
    expect(nft.dump()).toBe(before);
    await expect(table.apply(table.transaction().delete({ kind: 'chain', name: 'c' }), { check: true })).rejects.toMatchObject({
      reason: 'not-found',
    });
  });

  it("report nft's own errors before the kernel's, as nft sends nothing when it finds one", async () => {
    const { table, apply, ready } = setUp();
    await ready;
    const e = await failure(
      apply(
        table
          .transaction()
          .create(subnets)
          .add({ kind: 'element', set: 'nosuch', key: ['1.1.1.1'] }),
      ),
    );
    expect(e.reason).toBe('not-found');
    expect(e.stderr).toMatch(/^\/dev\/stdin:2:20-25: Error: No such file or directory\nadd element inet t nosuch/);
  });

  it('see what earlier lines of the same batch did', async () => {
    const { nft, table, apply, ready } = setUp();
    await ready;
    await apply(
      table
        .transaction()
        .add(port(1))
        .delete(port(1))
        .add(port(2))
        .add({ kind: 'set', name: 'late', type: 'ipv4_addr' })
        .add({ kind: 'element', set: 'late', key: ['1.1.1.1'] }),
    );
    expect(nft.dump(['element'])).toBe(
      'add element inet t late { 1.1.1.1 }\nadd element inet t ports { tcp . 2 comment "c1" : 10.89.0.5 . 80 }\n',
    );
  });
});

describe('FakeNft: exists and not found, as the kernel says them', () => {
  it('add is a no-op for what exists: an element keeps its comment, a table, chain or set its declaration', async () => {
    const { nft, table, apply, ready } = setUp();
    await ready;
    await apply(table.transaction().add(port(1, '10.89.0.5', 'first')));
    const before = nft.dump();
    await apply(
      table.transaction().add({ kind: 'table', comment: 'later' }, { ...subnets, comment: 'later' }, port(1, '10.89.0.5', 'second')),
    );
    expect(nft.dump()).toBe(before);
  });

  it('create of anything present, a map key with another value, a set declared otherwise: "exists"', async () => {
    const { table, apply, ready } = setUp({ kind: 'chain', name: 'c' }, port(1));
    await ready;
    for (const tx of [
      table.transaction().create({ kind: 'table' }),
      table.transaction().create({ kind: 'chain', name: 'c' }),
      table.transaction().create(subnets),
      table.transaction().create(port(1)),
      table.transaction().add(port(1, '10.89.0.9')),
      table.transaction().add({ ...subnets, flags: [] }),
      table.transaction().add({ kind: 'map', name: 'subnets', type: 'ipv4_addr', valueType: 'ipv4_addr' }),
    ]) {
      const e = await failure(apply(tx));
      expect(e, tx.render()).toMatchObject({ reason: 'exists', message: 'nft transaction failed: Could not process rule: File exists' });
    }
  });

  it('delete or flush of anything missing: "not found", in the kernel\'s words or nft\'s', async () => {
    const { table, apply, ready } = setUp({ kind: 'chain', name: 'c' });
    await ready;
    const kernelSays = 'nft transaction failed: Could not process rule: No such file or directory';
    const nftSays = 'nft transaction failed: No such file or directory';
    for (const [tx, message] of [
      [table.transaction().delete(port(1)), kernelSays],
      [table.transaction().delete({ kind: 'chain', name: 'nosuch' }), kernelSays],
      [table.transaction().flush({ kind: 'chain', name: 'nosuch' }), kernelSays],
      [table.transaction().delete({ kind: 'set', name: 'nosuch' }), kernelSays],
      [table.transaction().delete({ kind: 'rule', chain: 'c', handle: 99 }), kernelSays],
      [table.transaction().add({ kind: 'rule', chain: 'nosuch', rule: 'accept' }), kernelSays],
      [table.transaction().add({ kind: 'rule', chain: 'c', rule: 'jump nosuch' }), kernelSays],
      [table.transaction().add({ kind: 'rule', chain: 'c', rule: 'ip daddr @nosuch accept' }), nftSays],
      [table.transaction().add({ kind: 'element', set: 'nosuch', key: ['1.1.1.1'] }), nftSays],
      [table.transaction().flush({ kind: 'map', name: 'subnets' }), nftSays],
      [new NftTable('other').transaction().delete({ kind: 'table' }), kernelSays],
    ] as const) {
      const e = await failure(tx.table === 't' ? apply(tx) : new FakeNft().run(['-f', '-'], tx.render()));
      expect(e, tx.render()).toMatchObject({ reason: 'not-found', message });
    }
  });

  it('lists nothing for a table, chain, set or map that is not there', async () => {
    const { table, ready } = setUp();
    expect(await new NftTable('t', new FakeNft()).list()).toBeUndefined();
    await ready;
    await expect(table.listChain('nosuch')).resolves.toBeUndefined();
    await expect(table.listSet('ports')).resolves.toBeUndefined();
    await expect(table.listMap('subnets')).resolves.toBeUndefined();
    const e = await failure(new FakeNft().run(['-j', 'list', 'table', 'inet', 'nosuch']));
    expect(e).toMatchObject({ reason: 'not-found', message: 'nft -j list table inet nosuch failed: No such file or directory' });
    expect(e.stderr).toBe('Error: No such file or directory\nlist table inet nosuch\n                ^^^^^^\n');
  });

  it('refuses to delete a set or chain in use, and to hook a chain anew', async () => {
    const { nft, table, apply, ready } = setUp(
      { kind: 'chain', name: 'c' },
      { kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 100 },
    );
    await ready;
    await apply(table.transaction().add({ kind: 'rule', chain: 'post', rule: 'ip saddr @subnets jump c' }));
    const before = nft.dump();
    for (const [tx, message] of [
      [table.transaction().delete(subnets), 'Device or resource busy'],
      [table.transaction().delete({ kind: 'chain', name: 'c' }), 'Device or resource busy'],
      [table.transaction().add({ kind: 'chain', name: 'post', type: 'nat', hook: 'prerouting', priority: 100 }), 'Operation not supported'],
      [table.transaction().add({ kind: 'chain', name: 'c', type: 'nat', hook: 'prerouting', priority: 100 }), 'Operation not supported'],
    ] as const) {
      const e = await failure(apply(tx));
      expect(e).toMatchObject({ reason: 'failed', message: `nft transaction failed: Could not process rule: ${message}` });
    }
    expect(nft.dump()).toBe(before);
    await apply(table.transaction().add({ kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 100, policy: 'drop' }));
    expect(nft.dump(['chain'])).toContain('add chain inet t post { type nat hook postrouting priority 100 ; policy drop ; }');
    await apply(table.transaction().delete({ kind: 'chain', name: 'post' }, { kind: 'chain', name: 'c' }, subnets));
    expect(nft.dump(['chain', 'set'])).toBe('add set inet t local { type ipv4_addr . ifname ; flags interval ; }\n');
  });

  it('has filter chains only in a bridge table, as the kernel has', async () => {
    const nft = new FakeNft();
    const bridge = new NftTable('t', nft, 'bridge');
    await bridge.apply(bridge.transaction().add({ kind: 'table' }));
    for (const type of ['nat', 'route'] as const) {
      const e = await failure(bridge.apply(bridge.transaction().add({ kind: 'chain', name: 'c', type, hook: 'output', priority: 0 })));
      expect(e).toMatchObject({
        reason: 'not-found',
        message: 'nft transaction failed: Could not process rule: No such file or directory',
      });
      expect(e.stderr).toContain(
        `add chain bridge t c { type ${type} hook output priority 0 ; }\n${' '.repeat(28)}${'^'.repeat(type.length)}\n`,
      );
    }
    await bridge.apply(bridge.transaction().add({ kind: 'chain', name: 'c', type: 'filter', hook: 'output', priority: 0 }));
    expect(nft.dump()).toBe('add table bridge t\nadd chain bridge t c { type filter hook output priority 0 ; policy accept ; }\n');
  });

  it("flushes a table's rules but keeps its elements, as nft 1.0.6 does", async () => {
    const { nft, table, apply, ready } = setUp({ kind: 'chain', name: 'c' }, { kind: 'rule', chain: 'c', rule: 'accept' }, port(1));
    await ready;
    await apply(table.transaction().flush({ kind: 'table' }));
    expect(nft.dump(['rule', 'element'])).toBe('add element inet t ports { tcp . 1 comment "c1" : 10.89.0.5 . 80 }\n');
  });
});

describe('FakeNft and Transaction.destroy', () => {
  it('removes what is there and passes over what is not, as often as it is run', async () => {
    const { nft, table, apply, ready } = setUp(port(1), subnet('10.89.0.0/24'), { kind: 'chain', name: 'c' });
    await ready;
    for (let round = 0; round < 2; round++) {
      await apply(
        table.transaction().destroy(port(1), port(2), subnet('10.89.0.0/24'), subnet('10.90.0.0/24'), { kind: 'chain', name: 'c' }),
      );
      expect(nft.dump(['chain', 'element'])).toBe('');
    }
    await apply(table.transaction().destroy(ports, { kind: 'table' }));
    await apply(table.transaction().destroy({ kind: 'table' }));
    expect(nft.dump()).toBe('');
  });

  it('fails, changing nothing, where a map key now leads elsewhere: it is no longer ours to delete', async () => {
    const { nft, table, apply, ready } = setUp(port(1, '10.89.0.9', 'c9'));
    await ready;
    const before = nft.dump();
    const e = await failure(apply(table.transaction().destroy(port(1), port(2))));
    expect(e).toMatchObject({ reason: 'exists', message: 'nft transaction failed: Could not process rule: File exists' });
    expect(nft.dump()).toBe(before);
  });
});

describe('FakeNft element keys', () => {
  it('are written as nft lists them, so another spelling finds the same element', async () => {
    const { nft, table, apply, ready } = setUp(
      { kind: 'set', name: 'v6', type: 'ipv6_addr' },
      { kind: 'set', name: 'p', type: 'inet_service', flags: ['interval'] },
    );
    await ready;
    await apply(
      table
        .transaction()
        .add(subnet('10.0.0.5/24'), subnet('10.1.0.5/32'), subnet('10.2.0.0-10.2.0.255'), subnet('10.3.0.1-10.3.0.2'))
        .add(
          { kind: 'element', set: 'v6', key: ['FD89:0:0::5'] },
          { kind: 'element', set: 'p', key: ['80-90'] },
          { kind: 'element', set: 'p', key: ['100-100'] },
        ),
    );
    expect(nft.dump(['element'])).toBe(`\
add element inet t p { 80-90 }
add element inet t p { 100 }
add element inet t subnets { 10.0.0.0/24 }
add element inet t subnets { 10.1.0.5 }
add element inet t subnets { 10.2.0.0/24 }
add element inet t subnets { 10.3.0.1-10.3.0.2 }
add element inet t v6 { fd89::5 }
`);
    await apply(
      table.transaction().delete(subnet('10.2.0.0/24'), subnet('10.0.0.0-10.0.0.255'), { kind: 'element', set: 'v6', key: ['fd89::5'] }),
    );
    expect(nft.dump(['element'])).not.toMatch(/10\.0\.0|10\.2\.0|fd89/);
  });

  it('overlap in an interval set: nft refuses single ones, the kernel concatenations', async () => {
    const { nft, table, apply, ready } = setUp(subnet('10.89.0.0/24'), {
      kind: 'element',
      set: 'local',
      key: ['10.89.0.0/24', '"vz-web"'],
    });
    await ready;
    const before = nft.dump();
    await apply(
      table.transaction().add(subnet('10.89.0.0/24', 'again'), { kind: 'element', set: 'local', key: ['10.89.0.0/24', '"vz-db"'] }),
    );
    expect(nft.dump()).toContain('add element inet t local { 10.89.0.0/24 . "vz-db" }');
    expect(await failure(apply(table.transaction().add(subnet('10.89.0.0/16'))))).toMatchObject({
      reason: 'exists',
      message: 'nft transaction failed: interval overlaps with an existing one',
    });
    expect(
      await failure(apply(table.transaction().add({ kind: 'element', set: 'local', key: ['10.89.0.128/25', '"vz-web"'] }))),
    ).toMatchObject({
      reason: 'exists',
      message: 'nft transaction failed: Could not process rule: File exists',
    });
    expect(await failure(apply(table.transaction().delete(subnet('10.89.0.0/25'))))).toMatchObject({
      reason: 'not-found',
      message: 'nft transaction failed: element does not exist',
    });
    expect(nft.dump(['element'])).not.toContain('/16');
    expect(nft.dump()).toContain(before.split('\n').at(-2) as string);
  });

  it('are checked against the set type, as nft checks them', async () => {
    const { table, apply, ready } = setUp({ kind: 'set', name: 'plain', type: 'ipv4_addr' });
    await ready;
    for (const [element, message] of [
      [{ kind: 'element', set: 'plain', key: ['fd00::1'] }, 'Could not resolve hostname: Address family for hostname not supported'],
      [
        { kind: 'element', set: 'plain', key: ['10.0.0.0/24'] },
        "You must add 'flags interval' to your set declaration if you want to add prefix elements",
      ],
      [{ ...port(1), key: ['tcp', '99999'] }, 'Service out of range'],
      [{ ...port(1), key: ['foo', '80'] }, 'Could not resolve protocol name'],
      [{ ...port(1), key: ['tcp', '80', '1'] }, 'invalid data type, expected concatenation of (inet_proto, inet_service)'],
      [{ kind: 'element', set: 'plain', key: ['10.0.0.1'], value: ['1'] }, 'set is not a map'],
      [{ kind: 'element', set: 'ports', key: ['tcp', '80'] }, 'Could not process rule: Invalid argument'],
    ] as const) {
      const e = await failure(apply(table.transaction().add(element as Element)));
      expect(e, JSON.stringify(element)).toMatchObject({ reason: 'failed', message: `nft transaction failed: ${message}` });
    }
  });
});

describe('FakeNft rules', () => {
  it('are placed by handle and index, replaced in place, deleted by handle; handles count per table', async () => {
    const { nft, table, apply, ready } = setUp({ kind: 'chain', name: 'c' });
    await ready;
    const rule = (text: string, extra = {}) => ({ kind: 'rule' as const, chain: 'c', rule: text, ...extra });
    await apply(table.transaction().add(rule('accept', { comment: 'a' }), rule('drop', { comment: 'b' })));
    const handles = async () => (await table.listChain('c'))?.rules.map((r) => `${r.handle}:${r.comment ?? ''}`);
    // table, then ports, subnets, local, c: the rules are 5 and 6
    expect(await handles()).toEqual(['5:a', '6:b']);
    await apply(
      table
        .transaction()
        .add(rule('return', { handle: 5, comment: 'after5' }))
        .insert(rule('return', { handle: 5, comment: 'before5' }), rule('return', { comment: 'front' }))
        .add(rule('return', { index: 0, comment: 'idx0' }))
        .replace(rule('continue', { handle: 6, comment: 'b2' }))
        .delete({ kind: 'rule', chain: 'c', handle: 7 }),
    );
    expect(await handles()).toEqual(['9:front', '10:idx0', '8:before5', '5:a', '6:b2']);
    expect(nft.dump(['rule'])).toBe(`\
add rule inet t c return comment "front"
add rule inet t c return comment "idx0"
add rule inet t c return comment "before5"
add rule inet t c accept comment "a"
add rule inet t c continue comment "b2"
`);
    expect(await failure(apply(table.transaction().add(rule('accept', { index: 5 }))))).toMatchObject({ reason: 'not-found' });
  });
});

describe('FakeNft listings', () => {
  it('round-trip: what was added is what NftTable.list reads back', async () => {
    const verdicts: NftMap = { kind: 'map', name: 'vm', type: 'inet_proto . inet_service', valueType: 'verdict', comment: 'verdicts' };
    const objects: NftObject[] = [
      { kind: 'chain', name: 'c' },
      { kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 100, policy: 'accept' },
      { kind: 'rule', chain: 'post', rule: 'ip saddr . oifname @local return', comment: 'r' },
      verdicts,
      port(8080),
      subnet('10.89.0.0/24', 'zone:web'),
      subnet('10.90.0.1'),
      { kind: 'element', set: 'local', key: ['10.89.0.0/24', '"vz-web"'], comment: 'zone:web' },
      { kind: 'element', set: 'vm', key: ['tcp', '80'], value: ['jump c'] },
      { kind: 'element', set: 'vm', key: ['udp', '53'], value: ['accept'] },
    ];
    const { table, ready } = setUp(...objects);
    await ready;
    const listing = await table.list();
    const strip = <T extends { handle?: number }>(items: readonly T[]) => items.map(({ handle, ...rest }) => rest);
    expect(listing?.table).toEqual({ kind: 'table' });
    expect(strip(listing?.sets ?? [])).toEqual([subnets, local]);
    expect(strip(listing?.maps ?? [])).toEqual([ports, verdicts]);
    expect(strip(listing?.chains ?? [])).toEqual([objects[0], objects[1]]);
    expect(strip(listing?.rules ?? [])).toEqual([{ kind: 'rule', chain: 'post', comment: 'r' }]);
    expect(listing?.elements).toEqual(expect.arrayContaining(objects.filter((o) => o.kind === 'element')));
    expect(listing?.elements).toHaveLength(6);

    expect((await table.listMap('vm'))?.elements).toHaveLength(2);
    expect((await table.listSet('subnets'))?.elements.map((e) => e.key[0])).toEqual(['10.89.0.0/24', '10.90.0.1']);
  });

  it('leave set contents out with -t, and list tables as nft does', async () => {
    const { nft, ready } = setUp(port(1));
    await ready;
    const terse = JSON.parse(await nft.run(['-t', '-j', 'list', 'table', 'inet', 't'])) as {
      nftables: Record<string, { elem?: unknown }>[];
    };
    expect(terse.nftables.some((item) => item.map?.elem !== undefined)).toBe(false);
    const full = JSON.parse(await nft.run(['-j', 'list', 'map', 'inet', 't', 'ports'])) as { nftables: unknown[] };
    expect(full.nftables[1]).toEqual({
      map: {
        family: 'inet',
        name: 'ports',
        table: 't',
        type: ['inet_proto', 'inet_service'],
        handle: 1,
        map: 'ipv4_addr . inet_service',
        elem: [[{ elem: { val: { concat: ['tcp', 1] }, comment: 'c1' } }, { concat: ['10.89.0.5', 80] }]],
      },
    });
    await expect(nft.run(['list', 'tables'])).resolves.toBe('table inet t\n');
    await expect(nft.run(['-j', 'list', 'tables'])).resolves.toMatch(/"table":\{"family":"inet","name":"t","handle":1\}/);
    await expect(nft.run(['list', 'table', 'inet', 't'])).rejects.toMatchObject({ reason: 'failed' });
  });
});

describe('FakeNft input', () => {
  it('is what render.ts writes, and nothing else: anything more is a syntax error', async () => {
    const nft = new FakeNft();
    for (const input of [
      'flush ruleset\n',
      'add table inet t; flush ruleset\n',
      'add table inet t\nadd element inet t s { 1.1.1.1 } extra\n',
      'add rule inet t c\n',
      'list ruleset\n',
    ]) {
      const e = await failure(nft.run(['-f', '-'], input));
      expect(isNftError(e, 'syntax'), input).toBe(true);
    }
    expect(nft.dump()).toBe('');
  });

  it('errors are the NftErrors lib/nft classifies', async () => {
    const nft = new FakeNft().load('add table inet t\n');
    expect(isExists(await failure(nft.run(['-f', '-'], 'create table inet t\n')))).toBe(true);
    expect(isNotFound(await failure(nft.run(['-f', '-'], 'delete table inet u\n')))).toBe(true);
    expect(() => nft.load('delete table inet u\n')).toThrow('No such file or directory');
  });
});
