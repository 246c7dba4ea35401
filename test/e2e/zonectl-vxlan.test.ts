// `zonectl status` and `zonectl repair` of a zone across two hosts: two sandbox "hosts" joined by a
// veth underlay (192.0.2.1 and 192.0.2.2), each with its own conf dir whose zone `zt` has a
// `vxlan` section naming the other, and a machine started on each by `zonectl up` (netlink
// backend, each host its own range and gateway in the one subnet). Status shows the VXLAN port,
// the bridge table that keeps DHCP local and the peer answering; a peer address nobody has shows
// "no answer" and, until repair adds its flood entry, drift. After `nft flush ruleset` on host one
// status reports the bridge table gone and repair puts it back; a deleted VXLAN port is made again;
// a peer taken out of the conflist loses its flood entry; the members talk across all along.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { addAddress, createVethPair, ipIn, type Netns, nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import { createZonectlWorld, useZonectlBundles, type ZonectlWorld } from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'bridge', 'busybox']);
useZonectlBundles();

/** Host `n`: its own range and gateway in the zone's subnet. */
function hostRanges(n: 1 | 2) {
  const base = n === 1 ? 0 : 100;
  return [
    [{ subnet: '10.89.0.0/24', rangeStart: `10.89.0.${base + 10}`, rangeEnd: `10.89.0.${base + 99}`, gateway: `10.89.0.${base + 1}` }],
  ];
}

const vxlan = (local: string, peers: string[]) => ({ vxlan: { vni: 4242, local, peers } });

async function twoHosts(): Promise<{ one: ZonectlWorld; two: ZonectlWorld }> {
  const plugin = (local: string, peer: string) => ({ nameServer: false, ...vxlan(local, [peer]) });
  const one = await createZonectlWorld({ ranges: hostRanges(1), plugin: plugin('192.0.2.1', '192.0.2.2') });
  const two = await createZonectlWorld({ ranges: hostRanges(2), plugin: plugin('192.0.2.2', '192.0.2.1') });
  await createVethPair(one.host, two.host, { nameA: 'under0', nameB: 'under0' });
  await addAddress(one.host, 'under0', '192.0.2.1/24');
  await addAddress(two.host, 'under0', '192.0.2.2/24');
  return { one, two };
}

/** The world's conflist with `vxlan.peers` replaced. */
function setPeers(world: ZonectlWorld, peers: string[]): void {
  const file = join(world.confDir, `${world.network}.conflist`);
  const list = JSON.parse(readFileSync(file, 'utf8')) as { plugins: { vxlan: { peers: string[] } }[] };
  (list.plugins[0] as { vxlan: { peers: string[] } }).vxlan.peers = peers;
  writeFileSync(file, `${JSON.stringify(list, null, 2)}\n`);
}

interface PeerJson {
  address: string;
  flooded: boolean;
  answers: boolean;
  rttMs?: number;
  reason?: string;
}

interface ZoneJson {
  zone: string;
  healthy: boolean;
  problems: string[];
  bridge: { otherPorts: string[] };
  vxlan: {
    vni: number;
    device: { name: string; present: boolean; vni?: number; local?: string; port?: number; up?: boolean; mtu?: number; onBridge?: boolean };
    peers: PeerJson[];
    strayFloods: string[];
    keptLocal: { inPlace: boolean; problems: string[] };
  };
  vxlanDrift?: string[];
}

async function status(world: ZonectlWorld): Promise<{ exitCode: number | undefined; zone: ZoneJson; text: string }> {
  const json = await world.zonectl(['status', '--json'], { runtime: true });
  const text = await world.zonectl(['status'], { runtime: true });
  expect(text.exitCode).toBe(json.exitCode);
  const [zone, ...more] = (JSON.parse(json.stdout) as { zones: ZoneJson[] }).zones;
  expect(more).toEqual([]);
  return { exitCode: json.exitCode, zone: zone as ZoneJson, text: text.stdout };
}

/** `zonectl repair`'s exit code and its lines (stderr after stdout). */
async function repair(world: ZonectlWorld): Promise<{ exitCode: number | undefined; lines: string[] }> {
  const run = await world.zonectl(['repair'], { runtime: true });
  return { exitCode: run.exitCode, lines: `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line !== '') };
}

async function pings(from: Netns | string, address: string): Promise<boolean> {
  return (await nsExec(from, 'busybox', ['ping', '-c', '1', '-W', '2', address], { reject: false })).exitCode === 0;
}

async function floodPeers(ns: Netns): Promise<string[]> {
  return (await nsExec(ns, 'bridge', ['fdb', 'show', 'dev', 'vx-zt'])).stdout
    .split('\n')
    .filter((line) => line.startsWith('00:00:00:00:00:00'))
    .map((line) => line.split(' ')[2] ?? '')
    .sort();
}

async function bridgeTable(ns: Netns): Promise<boolean> {
  return /table bridge cni_zones/.test((await nsExec(ns, 'nft', ['list', 'tables'])).stdout);
}

suite.describe('zonectl status and repair of a zone across two hosts', () => {
  suite.it(
    'shows the peers answering or not and the drift, and repair restores the bridge table, the port and the peers',
    async () => {
      const { one, two } = await twoHosts();
      const m1 = await one.up('m1');
      const m2 = await two.up('m2');
      const talk = async () => [await pings(m1, '10.89.0.110'), await pings(m2, '10.89.0.10')];
      expect(await talk()).toEqual([true, true]);

      // healthy: the port as configured, the bridge table in place, the peer answering
      const healthy = await status(one);
      expect(healthy.exitCode, healthy.text).toBe(0);
      expect(healthy.zone.vxlan.device).toEqual({
        name: 'vx-zt',
        present: true,
        kind: 'vxlan',
        vni: 4242,
        local: '192.0.2.1',
        port: 4789,
        up: true,
        mtu: 1450,
        onBridge: true,
        floods: ['192.0.2.2'],
      });
      expect(healthy.zone.vxlan.peers).toEqual([{ address: '192.0.2.2', flooded: true, answers: true, rttMs: expect.any(Number) }]);
      expect(healthy.zone.vxlan.keptLocal).toEqual({ inPlace: true, problems: [] });
      expect(healthy.zone.bridge.otherPorts).toEqual([]);
      expect(healthy.text).toContain('VXLAN:  vx-zt, up, VNI 4242, 192.0.2.1:4789, MTU 1450\n');
      expect(healthy.text).toContain('Kept local:  DHCPv4 and router discovery stay on this host (table bridge cni_zones)\n');
      expect(healthy.text).toMatch(/\n {2}192\.0\.2\.2 +yes +answers \([0-9.]+ ms\)\n/);
      expect((await status(two)).exitCode).toBe(0);

      // a peer nobody has: no answer, and drift until repair gives it its flood entry
      setPeers(one, ['192.0.2.2', '192.0.2.9']);
      const unknown = await status(one);
      expect(unknown.exitCode).toBe(1);
      expect(unknown.zone.vxlan.peers.map(({ address, flooded, answers }) => ({ address, flooded, answers }))).toEqual([
        { address: '192.0.2.2', flooded: true, answers: true },
        { address: '192.0.2.9', flooded: false, answers: false },
      ]);
      expect(unknown.zone.vxlanDrift).toEqual(['no flood entry for peer 192.0.2.9']);
      expect(unknown.text).toMatch(/\n {2}192\.0\.2\.9 +no +no answer\n/);
      expect(unknown.zone.problems).toEqual([
        'vxlan: drift — no flood entry for peer 192.0.2.9 → run: zonectl repair',
        'peer 192.0.2.9 gives no answer to a ping from 192.0.2.1: is that host up, and routed from here?',
      ]);
      const added = await repair(one);
      expect(added).toEqual({ exitCode: 0, lines: ['zone zt: restored VXLAN peers as configured: added 192.0.2.9'] });
      expect(await floodPeers(one.host)).toEqual(['192.0.2.2', '192.0.2.9']);
      const stillSilent = await status(one);
      expect(stillSilent.zone.vxlanDrift).toBeUndefined();
      expect(stillSilent.zone.problems).toEqual([
        'peer 192.0.2.9 gives no answer to a ping from 192.0.2.1: is that host up, and routed from here?',
      ]);
      expect(stillSilent.exitCode).toBe(1);
      expect(await talk()).toEqual([true, true]);

      // taken out again: its flood entry is drift, shown as of no peer, and repair removes it
      setPeers(one, ['192.0.2.2']);
      const stray = await status(one);
      expect(stray.zone.vxlan.strayFloods).toEqual(['192.0.2.9']);
      expect(stray.zone.vxlanDrift).toEqual(['flood entry for 192.0.2.9, no peer']);
      expect(stray.text).toMatch(/\n {2}192\.0\.2\.9 +yes, of no peer +-\n/);
      expect(stray.exitCode).toBe(1);
      expect(await repair(one)).toEqual({
        exitCode: 0,
        lines: ['zone zt: restored VXLAN peers as configured: removed 192.0.2.9 (no peer any more)'],
      });
      expect(await floodPeers(one.host)).toEqual(['192.0.2.2']);
      expect((await status(one)).exitCode).toBe(0);

      // what an nftables.service restart does: both our tables go, the bridge one with the rules that keep DHCP here
      await nsExec(one.host, 'nft', ['flush', 'ruleset']);
      expect(await bridgeTable(one.host)).toBe(false);
      const flushed = await status(one);
      expect(flushed.exitCode).toBe(1);
      expect(flushed.zone.vxlan.keptLocal).toEqual({ inPlace: false, problems: ['table bridge cni_zones missing'] });
      expect(flushed.zone.vxlanDrift).toEqual(['table bridge cni_zones missing']);
      expect(flushed.zone.problems).toContain('vxlan: drift — table bridge cni_zones missing → run: zonectl repair');
      expect(flushed.text).toContain('Kept local:  DHCPv4 and router discovery NOT kept on this host: table bridge cni_zones missing\n');
      const restored = await repair(one);
      expect(restored.exitCode, restored.lines.join('\n')).toBe(0);
      expect(restored.lines).toContain('zone zt: restored table bridge cni_zones (DHCPv4 and router discovery kept on this host)');
      expect(restored.lines).toContain('zone zt: restored isolation (no zone allowed)');
      expect(await bridgeTable(one.host)).toBe(true);
      const ruleset = (await nsExec(one.host, 'nft', ['list', 'table', 'bridge', 'cni_zones'])).stdout;
      expect(ruleset).toMatch(/iifname "vx-\*" udp dport \{ 67, 68 \} drop/);
      expect((await status(one)).exitCode).toBe(0);
      expect(await talk()).toEqual([true, true]);

      // the port itself gone: status says so, repair makes it again as the ADD did
      await ipIn(one.host, 'link', 'del', 'vx-zt');
      expect(await pings(m1, '10.89.0.110')).toBe(false);
      const gone = await status(one);
      expect(gone.exitCode).toBe(1);
      expect(gone.zone.vxlan.device).toEqual({ name: 'vx-zt', present: false, floods: [] });
      expect(gone.zone.vxlanDrift).toEqual(['vx-zt missing']);
      expect(gone.text).toContain('VXLAN:  vx-zt MISSING; VNI 4242, 192.0.2.1:4789\n');
      expect(await repair(one)).toEqual({
        exitCode: 0,
        lines: ['zone zt: restored VXLAN port vx-zt (VNI 4242, 192.0.2.1:4789, flooding to 192.0.2.2)'],
      });
      const back = await status(one);
      expect(back.exitCode, back.text).toBe(0);
      expect(back.zone.vxlan.device.mtu).toBe(1450);
      expect(await floodPeers(one.host)).toEqual(['192.0.2.2']);
      expect(await talk()).toEqual([true, true]);
      // and a repair with nothing to do says so
      expect(await repair(one)).toEqual({ exitCode: 0, lines: ['nothing to repair: 1 zone in place'] });
    },
    180_000,
  );
});
