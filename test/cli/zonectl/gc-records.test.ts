// Which attachments `zonectl gc` knows of and which boot each is from: read from real store
// files (IPAM allocations with their boot records, port records, names) in a temp directory.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { staleAttachments } from '../../../cli/zonectl/gc.js';
import { attachmentBoot, knownAttachments } from '../../../cli/zonectl/gc-records.js';
import { setOwnerNames } from '../../../lib/dns/names.js';
import { parseAddress } from '../../../lib/ip/index.js';
import { bootRecordDir, ensureStoreDir, reserve, storeDir } from '../../../lib/ipam/store.js';
import { writeState } from '../../../lib/ports/state.js';
import type { CacheEntry } from '../../../lib/runtime/cache-format.js';
import { parseConfList } from '../../../lib/runtime/conf.js';
import { currentBootId } from '../../../lib/system/boot-id.js';
import { makeTestTempDir } from '../../support/paths.js';

const EARLIER = '00000000-0000-4000-8000-0000000000e1';
const THIS = '00000000-0000-4000-8000-0000000000f2';

describe('attachmentBoot', () => {
  it('is this boot when any record says so, earlier when all that tell say another, unknown when none tells', () => {
    expect(attachmentBoot({ bootIds: new Set([THIS]) }, THIS)).toBe('this');
    expect(attachmentBoot({ bootIds: new Set([EARLIER, THIS]) }, THIS)).toBe('this');
    expect(attachmentBoot({ bootIds: new Set([EARLIER]) }, THIS)).toBe('earlier');
    expect(attachmentBoot({ bootIds: new Set() }, THIS)).toBe('unknown');
    expect(attachmentBoot({ bootIds: new Set([EARLIER]) }, undefined)).toBe('unknown');
  });
});

function world() {
  const dir = makeTestTempDir('gc-records');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const list = parseConfList(
    JSON.stringify({
      cniVersion: '1.1.0',
      name: 'zt',
      plugins: [
        {
          type: 'zone',
          portsStateDir: join(dir, 'ports'),
          nameServer: { stateDir: join(dir, 'dns') },
          ipam: { type: 'zone-ipam', dataDir: join(dir, 'ipam'), ranges: [[{ subnet: '10.89.0.0/24' }]] },
        },
      ],
    }),
  );
  const store = storeDir(join(dir, 'ipam'), 'zt');
  ensureStoreDir(store);
  return { dir, list, store };
}

function cacheEntry(containerId: string, netns: string): CacheEntry {
  return { kind: 'cniCacheV1', networkName: 'zt', containerId, ifname: 'eth0', config: Buffer.from('{}'), netns } as CacheEntry;
}

describe('knownAttachments and staleAttachments', () => {
  it('joins cache, allocations, port records, names and links; an earlier boot is stale in either mode, a gone namespace only without --boot', async () => {
    const { dir, list, store } = world();
    const thisBoot = currentBootId();
    reserve(store, parseAddress('10.89.0.2')!, { containerId: 'old', ifname: 'eth0' }, 0);
    writeFileSync(join(bootRecordDir(store), '10.89.0.2'), JSON.stringify({ bootId: EARLIER, key: 'old\r\neth0' }));
    writeState(join(dir, 'ports'), { owner: { network: 'zt', containerId: 'old', ifname: 'eth0' }, elements: [], bootId: EARLIER });
    reserve(store, parseAddress('10.89.0.3')!, { containerId: 'live', ifname: 'eth0' }, 0);
    await setOwnerNames('zt', { network: 'zt', containerId: 'uncached', ifname: 'eth0' }, ['web'], ['10.89.0.4'], {
      stateDir: join(dir, 'dns'),
    });
    writeFileSync(join(store, '10.89.0.5'), 'hostlocal\r\neth0');
    const cached = [cacheEntry('old', '/proc/self/ns/net'), cacheEntry('live', '/run/netns/no-such-namespace-here')];
    const known = knownAttachments(list, cached, [{ containerId: 'link-only', ifname: 'eth1' }]);
    const ids = known.map((a) => `${a.containerId} ${a.ifname}`).sort();
    expect(ids).toEqual(['hostlocal eth0', 'link-only eth1', 'live eth0', 'old eth0', 'uncached eth0']);
    expect(known.find((a) => a.containerId === 'old')?.bootIds).toEqual(new Set([EARLIER]));
    expect(known.find((a) => a.containerId === 'live')?.bootIds).toEqual(new Set([thisBoot]));
    expect(known.find((a) => a.containerId === 'live')?.cached?.containerId).toBe('live');

    const boot = staleAttachments(known, thisBoot, { boot: true });
    expect(boot.map((s) => [s.attachment.containerId, s.why])).toEqual([['old', `from boot ${EARLIER.slice(0, 8)}…, not this one`]]);
    const plain = staleAttachments(known, thisBoot, { boot: false });
    expect(plain.map((s) => [s.attachment.containerId, s.why]).sort()).toEqual([
      ['live', 'namespace /run/netns/no-such-namespace-here is gone'],
      ['old', `from boot ${EARLIER.slice(0, 8)}…, not this one`],
    ]);
  });

  it('keeps a cached attachment whose record names no namespace: GC takes only what it can show gone', () => {
    const { list } = world();
    const known = knownAttachments(list, [cacheEntry('unnamed', '')], []);
    expect(known.map((a) => a.containerId)).toEqual(['unnamed']);
    expect(staleAttachments(known, currentBootId(), { boot: false })).toEqual([]);
  });

  it('skips allocations of old host-local versions (no interface) and stores it cannot read', () => {
    const { list, store } = world();
    writeFileSync(join(store, '10.89.0.7'), 'ancient');
    mkdirSync(join(store, '..', '..', 'ports'), { recursive: true });
    writeFileSync(join(store, '..', '..', 'ports', `${'a'.repeat(32)}.json`), 'not json');
    expect(knownAttachments(list, [], [])).toEqual([]);
  });
});
