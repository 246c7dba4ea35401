import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../../lib/libc/lock.js';
import { NetnsError } from '../../../lib/netns/errors.js';
import type { FakeNft } from '../../../lib/nft/fake.js';
import { TABLE_NAME } from '../../../lib/nft/our-table.js';
import { NftTable } from '../../../lib/nft/table.js';
import { Transaction } from '../../../lib/nft/transaction.js';
import type { Element } from '../../../lib/nft/objects.js';
import { exposesLoopback, interfacesInUse, openLoopback, releaseLoopback } from '../../../lib/ports/loopback.js';
import { worldOf } from '../../../lib/ports/request.js';
import { makeTestTempDir } from '../../support/paths.js';
import { memorySysctl, portsTable, recordingFlows, routeTable } from './helpers.js';

const KEY = 'net.ipv4.conf.vz-web.route_localnet';
const tag = 'ports web c1 eth0';
const any = (port: string, address = '10.89.0.5'): Element => ({
  kind: 'element',
  set: 'ports_any_v4',
  key: ['tcp', port],
  value: [address, '80'],
  comment: tag,
});
const on = (hostIP: string, port: string): Element => ({
  kind: 'element',
  set: 'ports_addr_v4',
  key: ['tcp', hostIP, port],
  value: ['10.89.0.5', '80'],
  comment: tag,
});
const nolocal = (port: string): Element => ({ kind: 'element', set: 'ports_nolocal_v4', key: ['tcp', port], comment: tag });
const v6 = (port: string): Element => ({
  kind: 'element',
  set: 'ports_any_v6',
  key: ['tcp', port],
  value: ['fd89::5', '80'],
  comment: tag,
});

let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-loopback');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function world(elements: Element[], sysctl = memorySysctl()) {
  const executor: FakeNft = portsTable(elements);
  return { executor, sysctl, world: worldOf({ executor, sysctl, routeTable: () => routeTable, flows: recordingFlows() }) };
}

const markers = () => readdirSync(stateDir).filter((name) => name.startsWith('localnet-'));

describe('interfacesInUse', () => {
  it('are those that IPv4 mappings reachable from 127.0.0.0/8 route through', async () => {
    const listing = (elements: Element[]) => new NftTable(TABLE_NAME, portsTable(elements)).list();
    expect(interfacesInUse(await listing([any('80')]), routeTable)).toEqual(new Set(['vz-web']));
    expect(interfacesInUse(await listing([on('127.0.0.1', '81')]), routeTable)).toEqual(new Set(['vz-web']));
    expect(interfacesInUse(await listing([any('80'), nolocal('80'), on('192.0.2.1', '82'), v6('83')]), routeTable)).toEqual(new Set());
    expect(interfacesInUse(await listing([any('80', '8.8.8.8')]), routeTable)).toEqual(new Set());
    expect(interfacesInUse(undefined, routeTable)).toEqual(new Set());
  });

  it('are worth a look only when a removed element was reachable from localhost', () => {
    expect(exposesLoopback([any('80')])).toBe(true);
    expect(exposesLoopback([on('127.0.0.1', '81')])).toBe(true);
    expect(exposesLoopback([on('192.0.2.1', '82'), v6('83'), nolocal('80')])).toBe(false);
  });
});

describe('route_localnet goes back off', () => {
  it('when the last localhost mapping on the bridge goes, where ADD switched it on', async () => {
    const { world: w, sysctl } = world([]);
    await openLoopback(w, stateDir, 'vz-web');
    expect(sysctl.values[KEY]).toBe('1');
    expect(markers()).toEqual(['localnet-vz-web']);
    await releaseLoopback(w, stateDir, [any('80')]);
    expect(sysctl.values[KEY]).toBe('0');
    expect(markers()).toEqual([]);
  });

  it('not while another localhost mapping routes through the bridge', async () => {
    const { world: w, sysctl } = world([on('127.0.0.1', '81')]);
    await openLoopback(w, stateDir, 'vz-web');
    await releaseLoopback(w, stateDir, [any('80')]);
    expect(sysctl.values[KEY]).toBe('1');
    expect(markers()).toEqual(['localnet-vz-web']);
  });

  it('never where an administrator had switched it on, and without a listing when nothing localhost went', async () => {
    const { world: w, sysctl, executor } = world([], memorySysctl({ [KEY]: '1' }));
    await openLoopback(w, stateDir, 'vz-web');
    expect(markers()).toEqual([]);
    await releaseLoopback(w, stateDir, [any('80')]);
    expect(sysctl.values[KEY]).toBe('1');
    writeFileSync(join(stateDir, 'localnet-vz-web'), '');
    await releaseLoopback(w, stateDir, [v6('80'), on('192.0.2.1', '82')]);
    expect(executor.calls).toEqual([]);
    expect(sysctl.values[KEY]).toBe('1');
  });

  it('forgets a bridge that is gone, and ignores markers that cannot name an interface', async () => {
    const gone = { read: async () => '0', write: async () => Promise.reject(new NetnsError('sysctl-missing', 'no such sysctl')) };
    const { world: w } = world([], gone as never);
    writeFileSync(join(stateDir, 'localnet-vz-old'), '');
    writeFileSync(join(stateDir, 'localnet-a b'), '');
    await releaseLoopback(w, stateDir, [any('80')]);
    expect(markers()).toEqual(['localnet-a b']);
  });

  it('waits for a concurrent ADD holding the lock, and then sees its mapping', async () => {
    const { world: w, sysctl, executor } = world([]);
    await openLoopback(w, stateDir, 'vz-web');
    let release: Promise<void> | undefined;
    await withFileLock(
      join(stateDir, 'localnet.lock'),
      async () => {
        release = releaseLoopback(w, stateDir, [any('80')]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        executor.load(new Transaction(TABLE_NAME).add(any('81')).render());
      },
      { kind: 'flock' },
    );
    await release;
    expect(sysctl.values[KEY]).toBe('1');
    expect(existsSync(join(stateDir, 'localnet-vz-web'))).toBe(true);
  });
});
