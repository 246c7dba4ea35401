// `zonectl repair` after what takes published ports away on a real host: `nft flush ruleset` (an
// nftables.service restart does that) and a [::1] proxy killed by hand. A machine publishes
// 8080 with `zonectl up --port`; from the host namespace 127.0.0.1, the host's own address and
// [::1] answer. After the flush only [::1] does (its proxy connects straight to the container,
// not through nft), and with it `curl http://localhost:8080/`; after the kill nothing does. `zonectl status` shows the drift and the fix;
// `zonectl repair` brings all three back, leaves a foreign table byte for byte as it was, and a
// second repair has nothing to do. On a machine with nothing recorded, repair changes nothing.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { proxiesIn } from '../support/processes.js';
import { expect, it } from 'vitest';
import { ipIn, type Netns, nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import { type Probe, probeMap, startServer } from '../support/ports-world.js';
import { createZonectlWorld, netnsPathOf, useZonectlBundles, type ZonectlWorld } from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'sysctl', 'curl']);
useZonectlBundles();

const HOST_ADDRESS = '192.0.2.1';
const probes: Probe[] = [
  { proto: 'tcp', host: '127.0.0.1', port: 8080 },
  { proto: 'tcp', host: HOST_ADDRESS, port: 8080 },
  { proto: 'tcp', host: '::1', port: 8080 },
];

/** What each of 127.0.0.1:8080, the host's address:8080 and [::1]:8080 gives in the host namespace. */
async function reach(world: ZonectlWorld): Promise<string[]> {
  const got = await probeMap(world.host, probes, 2000);
  return Object.values(got);
}

async function nft(ns: Netns, ...args: string[]): Promise<string> {
  return (await nsExec(ns, 'nft', args)).stdout;
}

/** A host namespace with an address of its own on an uplink, besides the zone's bridge. */
async function withHostAddress(world: ZonectlWorld): Promise<void> {
  await ipIn(world.host, 'link', 'set', 'lo', 'up');
  const outside = await world.sandbox.container('outside');
  await world.sandbox.connect(world.host, outside, { nameA: 'uplink0', nameB: 'eth0' });
  await ipIn(world.host, 'address', 'add', `${HOST_ADDRESS}/24`, 'dev', 'uplink0');
}

/** The [::1] listener `zonectl ports --json` shows for the one mapping. */
async function loopback6(world: ZonectlWorld): Promise<unknown> {
  const run = await world.zonectl(['ports', '--json'], { runtime: true });
  const [port, ...more] = JSON.parse(run.stdout) as { hostPort: number; loopback6?: unknown }[];
  expect(more).toEqual([]);
  expect(port?.hostPort).toBe(8080);
  return port?.loopback6;
}

interface StatusJson {
  healthy: boolean;
  zones: { problems: string[]; masqueradeDrift?: string[]; attachments: { containerId: string; drift?: string[] }[] }[];
}

suite.describe('zonectl repair', () => {
  it('restores 127.0.0.1, the host address and [::1] after a flush and a killed proxy, and nothing else', async () => {
    const world = await createZonectlWorld();
    await withHostAddress(world);
    const web = await world.up('web', ['--port', '8080:80']);
    await startServer(world.sandbox, { name: web, path: netnsPathOf(web) }, 'web');

    const answers = await reach(world);
    expect(answers).toEqual(['web 10.89.0.1', `web ${HOST_ADDRESS}`, 'web fd89::1']);
    const healthy = await world.zonectl(['status'], { runtime: true });
    expect(healthy.exitCode, healthy.stdout).toBe(0);

    // What an nftables.service restart does; [::1] does not go through nft.
    await nsExec(world.host, 'nft', ['flush', 'ruleset']);
    expect(await reach(world)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'web fd89::1']);
    // So `localhost`, which resolves to ::1 first, still answers (the server speaks no HTTP).
    const curl = await nsExec(world.host, 'curl', ['-sS', '--http0.9', '--max-time', '5', 'http://localhost:8080/'], { reject: false });
    expect(curl.stdout, curl.stderr).toBe('web fd89::1');
    // And what else may happen to a host: the proxy killed, route_localnet switched off.
    const [proxy, ...more] = proxiesIn(world.host.path);
    expect(more).toEqual([]);
    process.kill(proxy as number, 'SIGKILL');
    await nsExec(world.host, 'sysctl', ['-qw', `net.ipv4.conf.vz-${world.network}.route_localnet=0`]);
    expect(await reach(world)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);

    // status: the drift per attachment, with the fix.
    const status = await world.zonectl(['status'], { runtime: true });
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain(
      `${web} (eth0) ports: drift — table inet cni_zones gone, tcp/8080 (IPv4) missing, tcp/8080 (IPv6) missing, [::1]:8080 proxy not running → run: zonectl repair`,
    );
    expect(status.stdout).toContain(
      'masquerade: drift — masquerade of 10.89.0.0/24, fd89::/64 gone (table inet cni_zones missing) → run: zonectl repair',
    );
    const json = JSON.parse((await world.zonectl(['status', '--json'], { runtime: true })).stdout) as StatusJson;
    expect(json.zones[0]?.attachments[0]?.drift).toContain('[::1]:8080 proxy not running');
    // ports: the listener from the record, not running.
    expect(await loopback6(world)).toEqual({
      published: true,
      port: 8080,
      target: expect.any(String),
      via: 'process',
      pid: proxy,
      running: false,
    });
    // status is read-only: nothing came back.
    expect(await nft(world.host, 'list', 'ruleset')).toBe('');
    expect(proxiesIn(world.host.path)).toEqual([]);

    // A table of someone else's, which repair must not touch.
    await nsExec(world.host, 'nft', ['-f', '-'], {
      input:
        'table inet other {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport 9999 counter drop\n  }\n}\n',
    });
    const other = await nft(world.host, 'list', 'table', 'inet', 'other');

    const repair = await world.zonectl(['repair'], { runtime: true });
    expect(repair.exitCode, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toMatch(new RegExp(`^${world.network} ${web} eth0: restored tcp/8080 \\(IPv4\\) → 10\\.89\\.0\\.\\d+:80$`, 'm'));
    expect(repair.stdout).toMatch(
      new RegExp(`^${world.network} ${web} eth0: restored tcp/\\[::1\\]:8080 → \\[fd89::[0-9a-f]+\\]:80$`, 'm'),
    );
    expect(repair.stdout).toContain(`zone ${world.network}: restored masquerade of 10.89.0.0/24, fd89::/64`);
    expect(repair.stdout).not.toContain('NOT restored');

    expect(await reach(world)).toEqual(answers);
    const restarted = proxiesIn(world.host.path);
    expect(restarted).toHaveLength(1);
    expect(await loopback6(world)).toMatchObject({ pid: restarted[0], running: true });
    const ports = await world.zonectl(['ports'], { runtime: true });
    expect(ports.stdout).toMatch(
      new RegExp(`^\\[::1\\]:8080 +\\[fd89::[0-9a-f]+\\]:80 +${web} +${world.network} +process ${restarted[0]} +running$`, 'm'),
    );
    expect(await nft(world.host, 'list', 'table', 'inet', 'other')).toBe(other);
    expect((await nft(world.host, 'list', 'tables')).split('\n').sort()).toEqual(['table inet cni_zones', 'table inet other']);
    const after = await world.zonectl(['status'], { runtime: true });
    expect(after.exitCode, after.stdout).toBe(0);

    const again = await world.zonectl(['repair'], { runtime: true });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe('nothing to repair: 1 recorded attachment and 1 zone in place');
    expect(proxiesIn(world.host.path)).toHaveLength(1);

    // The restarted proxy is recorded: down stops it.
    const down = await world.zonectl(['down', web], { runtime: true });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(proxiesIn(world.host.path)).toEqual([]);
  });

  it('is a no-op that succeeds where nothing is recorded', async () => {
    const world = await createZonectlWorld();
    const run = await world.zonectl(['repair', '--json'], { runtime: true });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ stateDirs: [world.portsDir], attachments: [], zones: [], errors: [], ok: true });
    const empty = join(world.dir, 'empty.d');
    await mkdir(empty);
    const none = await world.zonectl(['repair', '--conf-dir', empty, '--cache-dir', world.cacheDir]);
    expect(none.exitCode, none.stderr).toBe(0);
    expect(none.stdout).toBe('nothing to repair: nothing is recorded');
    expect(await nft(world.host, 'list', 'ruleset')).toBe('');
  });
});
