// `zonectl gc` removes leaked attachments and nothing else: one whose namespace vanished
// without `zonectl down` (its cache record, addresses and published port), and one whose cache
// record was lost while its host veth lives on (the zone plugin's GC finds it by its alias).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { nsenterArgs } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import { allocations, cacheRecords, createZonectlWorld, links, useZonectlBundles } from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft']);
useZonectlBundles();

async function ruleset(ns: Parameters<typeof nsenterArgs>[0]): Promise<string> {
  return (await execa('nsenter', [...nsenterArgs(ns), 'nft', 'list', 'ruleset'])).stdout;
}

suite.describe('zonectl gc', () => {
  it('removes an attachment whose namespace is gone, keeps the live one', async () => {
    const world = await createZonectlWorld();
    const keep = await world.up('keep');
    const leak = await world.up('leak', ['--port', '8083:80']);
    expect(allocations(world.store)).toHaveLength(4);
    expect(await ruleset(world.host)).toContain('8083');

    // The machine's namespace goes without `zonectl down` (a crashed stop hook, a manual ip netns del).
    await execa('ip', ['netns', 'delete', leak]);
    const before = await world.zonectl(['status', '--json'], { runtime: true });
    expect(before.exitCode).toBe(1);

    const gc = await world.zonectl(['gc'], { runtime: true });
    expect(gc.exitCode, gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`${world.network}: removed attachment ${leak} eth0 (namespace /run/netns/${leak} is gone)`);
    expect(gc.stdout).toMatch(new RegExp(`released address 10\\.89\\.0\\.\\d+ \\(${leak} eth0\\)`));

    expect(cacheRecords(world.cacheDir)).toEqual([`${world.network}-${keep}-eth0`]);
    expect(allocations(world.store)).toHaveLength(2);
    expect(await ruleset(world.host)).not.toContain('8083');
    const after = await world.zonectl(['status', '--json'], { runtime: true });
    expect(after.exitCode, after.stdout).toBe(0);

    const again = await world.zonectl(['gc', world.network], { runtime: true });
    expect(again.stdout.trim()).toBe(`${world.network}: nothing to collect`);
  });

  it('removes the host side of an attachment whose cache record was lost', async () => {
    const world = await createZonectlWorld();
    const keep = await world.up('keep');
    const lost = await world.up('lost');
    const bridgePorts = async () => (await links(world.host)).filter((l) => l.master === `vz-${world.network}`).map((l) => l.ifname);
    expect(await bridgePorts()).toHaveLength(2);

    await rm(join(world.cacheDir, 'results', `${world.network}-${lost}-eth0`));
    const gc = await world.zonectl(['gc', world.network, '--json'], { runtime: true });
    expect(gc.exitCode, gc.stderr).toBe(0);
    const [report] = JSON.parse(gc.stdout) as {
      network: string;
      removedAttachments: unknown[];
      removedLinks: string[];
      releasedAddresses: string[];
    }[];
    expect(report?.removedAttachments).toEqual([]);
    expect(report?.removedLinks).toEqual([expect.stringContaining(`(${lost} eth0)`)]);
    expect(report?.releasedAddresses).toHaveLength(2);
    expect(await bridgePorts()).toHaveLength(1);
    expect(allocations(world.store)).toHaveLength(2);
    expect(cacheRecords(world.cacheDir)).toEqual([`${world.network}-${keep}-eth0`]);
  });
});
