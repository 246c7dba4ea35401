// lib/nft/libnftables.ts against the real libnftables.so.1 (nftables 1.0.6), each test in its own
// `czt-` namespaces, entered with setns for the length of one call: a transaction applied and
// read back as JSON with the nft binary's exact text (our bridge table too), failures with the
// binary's error kinds and messages, nothing reaching another namespace or leaking a socket, the
// fallback to the binary when the library cannot be loaded, and what an in-process transaction
// costs beside a spawned nft.

import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nftAvailable } from '../../lib/nft/available.js';
import { chooseNftExecutor, defaultNftExecutor } from '../../lib/nft/default-executor.js';
import { isExists, isNftError, isNotFound, type NftError } from '../../lib/nft/errors.js';
import { ProcessExecutor } from '../../lib/nft/executor.js';
import { LibnftablesExecutor, loadLibnftables } from '../../lib/nft/libnftables.js';
import type { Element, NftMap } from '../../lib/nft/objects.js';
import { NftTable } from '../../lib/nft/table.js';
import { createSandbox, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { isCi, privileged } from '../support/privileges.js';

const priv = privileged(['nft', 'nsenter', 'ip']);

function libraryProblem(): string | undefined {
  try {
    loadLibnftables();
    return undefined;
  } catch (e) {
    return `${(e as NftError).message}: ${(e as NftError).stderr}`;
  }
}

/** priv.describe, but also skipped without the library (and failed on CI, like a missing tool). */
function describeWithLibrary(name: string, body: () => void): void {
  const problem = priv.canRun ? libraryProblem() : undefined;
  if (problem === undefined) priv.describe(name, body);
  else if (isCi()) describe(name, () => it('can load libnftables', () => expect.fail(`libnftables test cannot run on CI: ${problem}`)));
  else describe.skip(`${name} (skipped: ${problem})`, body);
}

const hostports: NftMap = { kind: 'map', name: 'hostports', type: 'ipv4_addr . inet_service', valueType: 'ipv4_addr . inet_service' };

function portElement(i: number): Element {
  return {
    kind: 'element',
    set: 'hostports',
    key: ['127.0.0.1', String(10_000 + i)],
    value: [`10.89.${Math.floor(i / 250)}.${(i % 250) + 2}`, '80'],
    comment: `ctr-${i}`,
  };
}

/** Inodes of this process's open sockets. */
function openSockets(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith('socket:'))
    .sort();
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

async function medianMs(rounds: number, run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

describeWithLibrary('lib/nft through libnftables in a private namespace', () => {
  let sandbox: Sandbox;
  let library: LibnftablesExecutor;
  let binary: ProcessExecutor;
  let table: NftTable;
  const nftIn = (ns: Netns, args: string[]) => nsExec(ns, 'nft', args);

  beforeEach(async () => {
    sandbox = await createSandbox();
    library = new LibnftablesExecutor(loadLibnftables(), { netns: sandbox.host.path });
    binary = new ProcessExecutor({ netns: sandbox.host.path });
    table = new NftTable('cni_zones', library);
  });
  afterEach(() => sandbox.cleanup());

  it('applies a transaction and lists it as JSON, with the same text the binary prints', async () => {
    const tx = table
      .transaction()
      .add({ kind: 'table' })
      .add({ kind: 'chain', name: 'post', type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' })
      .add({ kind: 'set', name: 'subnets', type: 'ipv4_addr', flags: ['interval'], comment: 'zone subnets' })
      .add({ kind: 'element', set: 'subnets', key: ['10.89.0.0/24'], comment: 'zone:web' })
      .add({ kind: 'rule', chain: 'post', rule: 'ip saddr @subnets masquerade', comment: 'masq' })
      .add(hostports, portElement(1), portElement(2));
    await expect(table.apply(tx)).resolves.toBe(true);

    const contents = await table.list();
    expect(contents?.sets.map((s) => s.name)).toEqual(['subnets']);
    expect(contents?.elements).toContainEqual({ kind: 'element', set: 'subnets', key: ['10.89.0.0/24'], comment: 'zone:web' });
    expect((await table.listMap('hostports'))?.elements).toEqual([portElement(1), portElement(2)]);
    expect(contents?.rules).toEqual([{ kind: 'rule', chain: 'post', handle: expect.any(Number), comment: 'masq' }]);

    for (const args of [
      ['list', 'tables'],
      ['-j', 'list', 'table', 'inet', 'cni_zones'],
      ['-t', '-j', 'list', 'table', 'inet', 'cni_zones'],
      ['-j', 'list', 'map', 'inet', 'cni_zones', 'hostports'],
      ['list', 'chain', 'inet', 'cni_zones', 'post'],
    ]) {
      expect(await library.run(args), args.join(' ')).toBe(await binary.run(args));
    }
  });

  it('addresses our bridge table beside the inet one of the same name, each listing only its own', async () => {
    const bridge = new NftTable('cni_zones', library, 'bridge');
    await table.apply(table.transaction().add({ kind: 'table' }, { kind: 'chain', name: 'keep' }));
    await bridge.apply(
      bridge
        .transaction()
        .add({ kind: 'table' }, { kind: 'chain', name: 'keep', type: 'filter', hook: 'forward', priority: 0, policy: 'accept' })
        .add({ kind: 'rule', chain: 'keep', rule: 'iifname "vx-*" udp dport { 67, 68 } drop', comment: 'dhcp' }),
    );
    expect((await bridge.list())?.chains).toEqual([
      { kind: 'chain', name: 'keep', type: 'filter', hook: 'forward', priority: 0, policy: 'accept', handle: 1 },
    ]);
    expect((await bridge.listChain('keep'))?.rules).toEqual([{ kind: 'rule', chain: 'keep', handle: expect.any(Number), comment: 'dhcp' }]);
    expect((await table.list())?.chains).toEqual([{ kind: 'chain', name: 'keep', handle: 1 }]);
    expect((await table.listChain('keep'))?.rules).toEqual([]);
    for (const args of [
      ['list', 'tables'],
      ['-j', 'list', 'table', 'bridge', 'cni_zones'],
      ['list', 'chain', 'bridge', 'cni_zones', 'keep'],
    ]) {
      expect(await library.run(args), args.join(' ')).toBe(await binary.run(args));
    }
    await bridge.apply(bridge.transaction().delete({ kind: 'table' }));
    expect((await nftIn(sandbox.host, ['list', 'tables'])).stdout).toBe('table inet cni_zones');
  });

  it('fails like the binary: same kinds, messages and stderr text, and nothing applied', async () => {
    await table.apply(table.transaction().add({ kind: 'table' }, hostports, portElement(1)));
    const before = (await nftIn(sandbox.host, ['list', 'ruleset'])).stdout;
    const both = async (args: string[], input?: string) =>
      Promise.all([library, binary].map((executor) => executor.run(args, input).catch((e: unknown) => e as NftError)));

    const [libraryMissing, binaryMissing] = await both(['-f', '-'], 'add table inet cni_zones\ndelete table inet nosuch\n');
    expect(isNotFound(libraryMissing)).toBe(true);
    const { message, stderr, exitCode } = binaryMissing as NftError;
    expect(libraryMissing).toMatchObject({ reason: 'not-found', message, stderr, exitCode });
    expect(stderr).toMatch(/^\/dev\/stdin:2:19-24: Error: .*\ndelete table inet nosuch\n/);

    const conflicting = { ...portElement(1), value: ['10.89.9.9', '80'] };
    const tx = table.transaction().add({ kind: 'chain', name: 'extra' }).add(portElement(2), conflicting);
    const [libraryExists, binaryExists] = await both(['-f', '-'], tx.render());
    expect(isExists(libraryExists)).toBe(true);
    expect((libraryExists as NftError).stderr).toBe((binaryExists as NftError).stderr);

    const [librarySyntax, binarySyntax] = await both(['-f', '-'], 'add foo\n');
    expect(isNftError(librarySyntax, 'syntax')).toBe(true);
    expect((librarySyntax as NftError).stderr).toBe((binarySyntax as NftError).stderr);

    const [libraryListed, binaryListed] = await both(['-j', 'list', 'table', 'inet', 'nosuch']);
    expect(isNotFound(libraryListed)).toBe(true);
    expect((libraryListed as NftError).stderr).toBe((binaryListed as NftError).stderr);
    await expect(table.listSet('nosuch')).resolves.toBeUndefined();

    // -c only checks
    await expect(table.apply(table.transaction().add({ kind: 'chain', name: 'checked' }), { check: true })).resolves.toBe(true);
    expect((await nftIn(sandbox.host, ['list', 'ruleset'])).stdout).toBe(before);
  });

  it('stays in its namespace, resolves interfaces there, and leaks no socket', async () => {
    const other = await sandbox.container('other');
    const { a: hostEnd } = await sandbox.connect(sandbox.host, other);
    const sockets = openSockets();

    await table.apply(table.transaction().add({ kind: 'table' }, { kind: 'chain', name: 'in' }));
    // libnftables resolves `iif` to an index over rtnetlink: this name exists only in the sandbox's host
    await table.apply(table.transaction().add({ kind: 'rule', chain: 'in', rule: `iif "${hostEnd.ifname}" accept` }));
    await library.run(['-f', '-'], 'delete table inet nosuch\n').catch(() => undefined);
    await library.run(['-j', 'list', 'ruleset']);

    expect(openSockets()).toEqual(sockets);
    expect((await nftIn(sandbox.host, ['list', 'chain', 'inet', 'cni_zones', 'in'])).stdout).toContain(`iif "${hostEnd.ifname}" accept`);
    expect((await nftIn(other, ['list', 'ruleset'])).stdout).toBe('');
    const elsewhere = new LibnftablesExecutor(loadLibnftables(), { netns: other.path });
    await expect(elsewhere.run(['list', 'tables'])).resolves.toBe('');
    const noSuchLink = await elsewhere
      .run(['-f', '-'], `add table inet t\nadd chain inet t c\nadd rule inet t c iif "${hostEnd.ifname}" accept\n`)
      .catch((e: unknown) => e);
    expect((noSuchLink as Error).message).toContain('Interface does not exist');
  });

  it('is the default when it loads, and falls back to the nft binary when it does not', async () => {
    const netns = sandbox.host.path;
    expect(chooseNftExecutor({ netns })).toBeInstanceOf(LibnftablesExecutor);
    await expect(nftAvailable(defaultNftExecutor({ netns }))).resolves.toEqual({ available: true });

    const fallback = chooseNftExecutor({ netns, library: '/nonexistent/libnftables.so.1' });
    expect(fallback).toBeInstanceOf(ProcessExecutor);
    const viaBinary = new NftTable('cni_zones', defaultNftExecutor({ netns, library: '/nonexistent/libnftables.so.1' }));
    await viaBinary.apply(viaBinary.transaction().add({ kind: 'table' }, hostports, portElement(7)));
    expect((await table.listMap('hostports'))?.elements).toEqual([portElement(7)]);
    const missing = await viaBinary.apply(viaBinary.transaction().delete({ kind: 'chain', name: 'nosuch' })).catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);

    const neither = defaultNftExecutor({ netns, library: '/nonexistent/libnftables.so.1', nft: '/nonexistent/nft' });
    const unavailable = await nftAvailable(neither);
    expect(unavailable).toEqual({
      available: false,
      reason: expect.stringContaining('neither /nonexistent/libnftables.so.1 nor the nft binary'),
    });
  });

  it('measures one transaction in-process against a spawned nft', async () => {
    await table.apply(table.transaction().add({ kind: 'table' }, hostports));
    const rounds = 7;
    const perRun = await medianMs(rounds, () => library.run(['-f', '-'], ''));
    const lines: string[] = [];
    for (const count of [1, 100, 1000]) {
      const elements = Array.from({ length: count }, (_, i) => portElement(i));
      const input = table
        .transaction()
        .flush(hostports)
        .add(...elements)
        .render();
      const inProcess = await medianMs(rounds, () => library.run(['-f', '-'], input));
      const spawned = await medianMs(rounds, () => binary.run(['-f', '-'], input));
      expect((await table.listMap('hostports'))?.elements).toHaveLength(count);
      lines.push(`${count} elements ${inProcess.toFixed(1)} ms vs ${spawned.toFixed(1)} ms`);
    }
    const listArgs = ['-j', 'list', 'map', 'inet', 'cni_zones', 'hostports'];
    const listInProcess = await medianMs(rounds, () => library.run(listArgs));
    const listSpawned = await medianMs(rounds, () => binary.run(listArgs));
    console.info(
      `[libnftables timing] median of ${rounds}, in-process vs nsenter+nft: ${lines.join(', ')}; ` +
        `list map (1000 elements) ${listInProcess.toFixed(1)} ms vs ${listSpawned.toFixed(1)} ms; ` +
        `empty run (namespace window, probe, context new+free) ${perRun.toFixed(2)} ms`,
    );
  });
});
