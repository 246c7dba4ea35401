// Zone isolation through zonectl: two networks of the netlink backend, zones zt and zb, a
// machine on each (`zonectl up`). `zonectl status` shows each zone isolated; once zt's
// configuration allows zb, status names the drift and its fix, `zonectl repair` applies it
// (the machines then reach each other both ways) without touching zb's pairs; after a
// `nft flush ruleset` repair declares the chain and both zones' pairs again; `zonectl down` of
// the last machine of a zone takes its pairs away.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import { type Probe, probeMap, startServer } from '../support/ports-world.js';
import { addresses, createZonectlWorld, hostPart, netnsPathOf, useZonectlBundles, type ZonectlWorld } from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'sysctl']);
useZonectlBundles();

const SERVICE = 80;

interface StatusJson {
  healthy: boolean;
  zones: { zone: string; problems: string[]; isolation?: { active: boolean; allowZones: string[]; allowedBy: string[] } }[];
}

/** A second network, zone zb, in the world's conf dir: the world's own conflist with another name and subnets. */
function addNetwork(world: ZonectlWorld, name: string, v4: string, v6: string): void {
  const list = JSON.parse(readFileSync(join(world.confDir, `${world.network}.conflist`), 'utf8')) as {
    name: string;
    plugins: Record<string, unknown>[];
  };
  const [zone] = list.plugins as [{ ipam: Record<string, unknown> } & Record<string, unknown>];
  const ipam = { ...zone.ipam, ranges: [[{ subnet: v4 }], [{ subnet: v6 }]] };
  const other = { ...list, name, plugins: [{ ...zone, zone: name, ipam }] };
  writeFileSync(join(world.confDir, `${name}.conflist`), `${JSON.stringify(other, null, 2)}\n`);
}

/** Set `allowZones` of the zone plugin in network `name`'s conflist. */
function allowZones(world: ZonectlWorld, name: string, zones: string[]): void {
  const file = join(world.confDir, `${name}.conflist`);
  const list = JSON.parse(readFileSync(file, 'utf8')) as { plugins: Record<string, unknown>[] };
  list.plugins[0] = { ...list.plugins[0], allowZones: zones };
  writeFileSync(file, `${JSON.stringify(list, null, 2)}\n`);
}

async function up(world: ZonectlWorld, role: string, network: string): Promise<string> {
  const machine = world.machineName(role);
  const run = await world.zonectl(['up', machine, '--network', network], { runtime: true });
  expect(run.exitCode, `zonectl up ${machine}: ${run.stdout}\n${run.stderr}`).toBe(0);
  return machine;
}

async function status(world: ZonectlWorld): Promise<{ exitCode: number | undefined; text: string; json: StatusJson }> {
  const text = await world.zonectl(['status'], { runtime: true });
  const json = await world.zonectl(['status', '--json'], { runtime: true });
  return { exitCode: text.exitCode, text: text.stdout, json: JSON.parse(json.stdout) as StatusJson };
}

/** TCP from machine `from` to each of `to`'s addresses: the answers. */
async function reach(from: string, to: string): Promise<string[]> {
  const targets = (await addresses(netnsPathOf(to), 'eth0')).map(hostPart);
  const probes: Probe[] = targets.map((host) => ({ proto: 'tcp', host, port: SERVICE }));
  return Object.values(await probeMap({ name: from, path: netnsPathOf(from) }, probes, 2000));
}

async function allowPairs(world: ZonectlWorld): Promise<string[]> {
  const { stdout } = await nsExec(world.host, 'nft', ['-j', 'list', 'set', 'inet', 'cni_zones', 'zone_allow'], { reject: false });
  if (stdout === '') return [];
  const listing = JSON.parse(stdout) as { nftables: { set?: { elem?: { elem: { val: { concat: string[] } } }[] } }[] };
  return (listing.nftables.find((entry) => entry.set)?.set?.elem ?? []).map((e) => e.elem.val.concat.join(' . ')).sort();
}

suite.describe('zone isolation through zonectl', () => {
  it('status shows it, repair applies a changed allowZones and restores it after a flush, down takes it away', async () => {
    const world = await createZonectlWorld();
    addNetwork(world, 'zb', '10.89.20.0/24', 'fd89:20::/64');
    const ma = await up(world, 'ma', 'zt');
    const mb = await up(world, 'mb', 'zb');
    await startServer(world.sandbox, { name: ma, path: netnsPathOf(ma) }, 'ma');
    await startServer(world.sandbox, { name: mb, path: netnsPathOf(mb) }, 'mb');
    expect(await reach(ma, mb)).toEqual(['TIMEOUT', 'TIMEOUT']);
    expect(await reach(mb, ma)).toEqual(['TIMEOUT', 'TIMEOUT']);

    const isolated = await status(world);
    expect(isolated.exitCode, isolated.text).toBe(0);
    expect(isolated.text).toMatch(/^ +Isolation: +isolated from other zones; no other zone allowed$/m);
    expect(isolated.json.zones.map((z) => [z.zone, z.isolation])).toEqual([
      ['zb', { active: true, allowZones: [], allowedBy: [] }],
      ['zt', { active: true, allowZones: [], allowedBy: [] }],
    ]);

    // zt's configuration allows zb now: status says what differs and how to fix it
    allowZones(world, 'zt', ['zb']);
    const drifted = await status(world);
    expect(drifted.exitCode).toBe(1);
    expect(drifted.text).toContain('isolation: drift — zone_allow vz-zt . vz-zb missing → run: zonectl repair');
    expect(await reach(ma, mb)).toEqual(['TIMEOUT', 'TIMEOUT']);

    const repaired = await world.zonectl(['repair'], { runtime: true });
    expect(repaired.exitCode, `${repaired.stdout}\n${repaired.stderr}`).toBe(0);
    expect(repaired.stdout).toBe('zone zt: restored isolation (allowed: zb)');
    expect(await allowPairs(world)).toEqual(['vz-zb . vz-zb', 'vz-zt . vz-zb', 'vz-zt . vz-zt']);
    expect(await reach(ma, mb)).toEqual([expect.stringMatching(/^mb /), expect.stringMatching(/^mb /)]);
    expect(await reach(mb, ma)).toEqual([expect.stringMatching(/^ma /), expect.stringMatching(/^ma /)]);
    const allowed = await status(world);
    expect(allowed.exitCode, allowed.text).toBe(0);
    expect(allowed.json.zones.map((z) => [z.zone, z.isolation])).toEqual([
      ['zb', { active: true, allowZones: [], allowedBy: ['zt'] }],
      ['zt', { active: true, allowZones: ['zb'], allowedBy: [] }],
    ]);
    expect(allowed.text).toMatch(/^ +Isolation: +isolated from other zones; allowed: zt \(by zt's configuration\)$/m);

    // an nftables.service restart: the chain and every zone's pairs come back with repair
    await nsExec(world.host, 'nft', ['flush', 'ruleset']);
    expect(await reach(mb, ma)).toEqual([expect.stringMatching(/^ma /), expect.stringMatching(/^ma /)]);
    const flushed = await status(world);
    expect(flushed.text).toContain('isolation: drift — isolation of zone zb gone (table inet cni_zones missing) → run: zonectl repair');
    const again = await world.zonectl(['repair'], { runtime: true });
    expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toContain('zone zb: restored masquerade of 10.89.20.0/24, fd89:20::/64');
    expect(again.stdout).toContain('zone zb: restored isolation (no zone allowed)');
    expect(again.stdout).toContain('zone zt: restored isolation (allowed: zb)');
    expect(await allowPairs(world)).toEqual(['vz-zb . vz-zb', 'vz-zt . vz-zb', 'vz-zt . vz-zt']);
    const chain = await nsExec(world.host, 'nft', ['list', 'chain', 'inet', 'cni_zones', 'zone_isolation']);
    expect(chain.stdout.match(/ drop comment "isolation: /g)).toHaveLength(2);
    const nothing = await world.zonectl(['repair'], { runtime: true });
    expect(nothing.stdout).toBe('nothing to repair: 2 zones in place');

    // the last machine of zt goes: zt's pairs with it, zb's stay
    const down = await world.zonectl(['down', ma], { runtime: true });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await allowPairs(world)).toEqual(['vz-zb . vz-zb']);
  });
});
