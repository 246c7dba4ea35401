// `zonectl gc --boot` removes what an earlier boot left and nothing of this one. Three
// attachments go up through the built plugins (zone + zone-ipam, zone-ports with a published
// port, each with a name in the zone's name server); one is then made to look like an earlier
// boot's by rewriting the boot IDs its records carry, while its namespace and cache entry stay
// (a namespace path a new container reuses), and another loses its runtime cache entry (this
// boot's, uncached). GC at boot must remove the first entirely and leave both others working.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { bootRecordDir } from '../../lib/ipam/store.js';
import { currentBootId } from '../../lib/system/boot-id.js';
import { nsenterArgs } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import {
  addresses,
  allocations,
  cacheRecords,
  createZonectlWorld,
  hostPart,
  links,
  useZonectlBundles,
  type ZonectlWorld,
} from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'busybox']);
useZonectlBundles();

const EARLIER_BOOT = '00000000-0000-4000-8000-00000000b007';

/** The world's network as a chain: zone with zone-ipam, then zone-ports publishing the ports. */
function writeChain(world: ZonectlWorld): void {
  const path = join(world.confDir, `${world.network}.conflist`);
  const list = JSON.parse(readFileSync(path, 'utf8')) as { plugins: Record<string, unknown>[] };
  const [zone] = list.plugins;
  if (!zone) throw new Error('the world has no zone plugin');
  zone.capabilities = { ips: true, mac: true };
  list.plugins = [zone, { type: 'zone-ports', portsStateDir: world.portsDir, capabilities: { portMappings: true } }];
  writeFileSync(path, `${JSON.stringify(list, null, 2)}\n`);
}

function rewriteJson(path: string, change: (json: Record<string, unknown>) => boolean): number {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (!change(json)) return 0;
  writeFileSync(path, JSON.stringify(json));
  return 1;
}

/** Give every record of `containerId` another boot's ID; returns how many records were changed. */
function moveToEarlierBoot(world: ZonectlWorld, containerId: string): number {
  let changed = 0;
  const bootDir = bootRecordDir(world.store);
  for (const name of readdirSync(bootDir)) {
    changed += rewriteJson(join(bootDir, name), (record) => {
      if (!String(record.key).startsWith(`${containerId}\r\n`)) return false;
      record.bootId = EARLIER_BOOT;
      return true;
    });
  }
  for (const name of readdirSync(world.portsDir).filter((n) => n.endsWith('.json'))) {
    changed += rewriteJson(join(world.portsDir, name), (state) => {
      if ((state.owner as { containerId: string }).containerId !== containerId) return false;
      state.bootId = EARLIER_BOOT;
      return true;
    });
  }
  changed += rewriteJson(namesFile(world), (store) => {
    const entries = (store.entries as { owner: { containerId?: string }; bootId?: string }[]).filter(
      (e) => e.owner.containerId === containerId,
    );
    for (const entry of entries) entry.bootId = EARLIER_BOOT;
    return entries.length > 0;
  });
  return changed;
}

function namesFile(world: ZonectlWorld): string {
  return join(world.dir, 'dns', `${world.network}.json`);
}

function registeredNames(world: ZonectlWorld): string[] {
  const store = JSON.parse(readFileSync(namesFile(world), 'utf8')) as { entries: { name: string }[] };
  return store.entries.map((e) => e.name).sort();
}

async function ruleset(world: ZonectlWorld): Promise<string> {
  return (await execa('nsenter', [...nsenterArgs(world.host), 'nft', 'list', 'ruleset'])).stdout;
}

async function hostVethOwners(world: ZonectlWorld): Promise<string[]> {
  return (await links(world.host)).flatMap((l) => (l.master === `vz-${world.network}` && l.ifalias ? [l.ifalias] : []));
}

async function ping(from: string, address: string): Promise<boolean> {
  const run = await execa('nsenter', [...nsenterArgs(from), 'busybox', 'ping', '-c', '1', '-W', '2', address], {
    reject: false,
    timeout: 10_000,
  });
  return run.exitCode === 0;
}

suite.describe('zonectl gc --boot', () => {
  it('removes an earlier boot’s attachment even with its namespace and cache entry present, and keeps this boot’s, cached or not', async () => {
    expect(currentBootId()).toBeDefined();
    const world = await createZonectlWorld();
    writeChain(world);
    const old = await world.up('old', ['--port', '8091:80']);
    const current = await world.up('cur', ['--port', '8092:80']);
    const uncached = await world.up('unc', ['--port', '8093:80']);
    expect(allocations(world.store)).toHaveLength(6);
    expect(registeredNames(world)).toEqual([current, old, uncached].sort());
    const [currentAddress, uncachedAddress] = [
      hostPart((await addresses(current, 'eth0'))[0] as string),
      hostPart((await addresses(uncached, 'eth0'))[0] as string),
    ];

    // Two addresses, the port record and the name: every record it has.
    expect(moveToEarlierBoot(world, old)).toBe(4);
    rmSync(join(world.cacheDir, 'results', `${world.network}-${uncached}-eth0`));
    expect(cacheRecords(world.cacheDir)).toEqual([`${world.network}-${current}-eth0`, `${world.network}-${old}-eth0`].sort());

    const gc = await world.zonectl(['gc', '--boot'], { runtime: true });
    expect(gc.exitCode, `${gc.stdout}\n${gc.stderr}`).toBe(0);
    expect(gc.stdout).toContain(`${world.network}: removed attachment ${old} eth0 (from boot 00000000…, not this one)`);
    expect(gc.stdout.match(/released address/g)).toHaveLength(2);
    expect(gc.stdout).toMatch(new RegExp(`released address 10\\.89\\.0\\.\\d+ \\(${old} eth0\\)`));
    expect(gc.stdout).not.toContain(current);
    expect(gc.stdout).not.toContain(uncached);

    // The earlier boot's attachment is gone: cache entry, addresses, port, name, host veth (and so its eth0).
    expect(cacheRecords(world.cacheDir)).toEqual([`${world.network}-${current}-eth0`]);
    expect(allocations(world.store)).toHaveLength(4);
    const records = readdirSync(bootRecordDir(world.store));
    expect(records).toHaveLength(4);
    for (const record of records) expect(readFileSync(join(bootRecordDir(world.store), record), 'utf8')).not.toContain(old);
    const rules = await ruleset(world);
    expect(rules).not.toContain('8091');
    expect(rules).toContain('8092');
    expect(rules).toContain('8093');
    expect(registeredNames(world)).toEqual([current, uncached].sort());
    const owners = await hostVethOwners(world);
    expect(owners.some((o) => o.includes(old))).toBe(false);
    expect(owners.filter((o) => o.includes(current) || o.includes(uncached))).toHaveLength(2);
    expect((await links(old)).map((l) => l.ifname)).not.toContain('eth0');

    // This boot's attachments still pass traffic, from the host and to each other.
    expect(await ping(world.host.name, currentAddress)).toBe(true);
    expect(await ping(current, uncachedAddress)).toBe(true);
    const status = await world.zonectl(['status', '--json'], { runtime: true });
    expect(status.stdout).toContain(current);

    const again = await world.zonectl(['gc', '--boot'], { runtime: true });
    expect(again.stdout.trim()).toBe(`${world.network}: nothing to collect`);
  });
});
