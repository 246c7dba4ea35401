// Zone isolation with the networkd backend: systemd-networkd (in a sandbox of its own) makes
// both zone bridges from our files and masquerades them itself; our table holds only the
// isolation. Two zones' containers reach their gateways but not each other (TCP v4 and v6,
// ping); with "allowZones" on the next ADD of a member they reach each other both ways.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { createSandbox, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { makeTestTempDir } from '../support/paths.js';
import { type Probe, probeMap, startServer } from '../support/ports-world.js';
import { privileged } from '../support/privileges.js';
import { bundleZone, useZoneBundle } from '../support/zone-world.js';

const suite = privileged(['ip', 'nsenter', 'unshare', 'setpriv', 'systemd-networkd', 'networkctl', 'dbus-daemon', 'nft', 'busybox']);
useZoneBundle();

const SERVICE = 80;
let ZONE: string;
let tempRoot: string;
let networkd: NetworkdSandbox;

beforeAll(async () => {
  if (!suite.canRun) return;
  ZONE = await bundleZone();
  tempRoot = makeTestTempDir('zone-isolation-networkd');
  networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
}, 120_000);

afterAll(async () => {
  await networkd?.stop();
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

/** Zone `zone` with 10.<n>.0.0/24 and fd<n>::/64. */
function conf(zone: string, n: number, extra: object = {}): Record<string, unknown> {
  return {
    cniVersion: '1.1.0',
    name: `net-${zone}`,
    type: 'zone',
    zone,
    backend: 'networkd',
    ipam: { type: 'zone-ipam', dataDir: join(tempRoot, 'ipam'), ranges: [[{ subnet: `10.${n}.0.0/24` }], [{ subnet: `fd${n}::/64` }]] },
    ...extra,
  };
}

async function add(sandbox: Sandbox, role: string, stdin: Record<string, unknown>): Promise<{ ns: Netns; addresses: string[] }> {
  const ns = await sandbox.container(role);
  const outcome = await networkd.runPlugin(ZONE, {
    command: 'ADD',
    containerId: `czt-${process.pid}-iso-${role}`,
    netns: ns.path,
    ifname: 'eth0',
    path: '/usr/lib/cni',
    stdin,
    timeoutMs: 45_000,
  });
  expect(outcome.exitCode, `ADD ${role}: ${outcome.stdout}\n${outcome.stderr}`).toBe(0);
  const result = outcome.json as { ips: { address: string }[] };
  await startServer(sandbox, ns, role);
  return { ns, addresses: result.ips.map((ip) => ip.address.split('/')[0] as string) };
}

async function tcp(from: Netns, hosts: readonly string[]): Promise<string[]> {
  const probes: Probe[] = hosts.map((host) => ({ proto: 'tcp', host, port: SERVICE }));
  return Object.values(await probeMap(from, probes, 2000));
}

async function pings(from: Netns, address: string): Promise<boolean> {
  return (await nsExec(from, 'busybox', ['ping', '-c', '1', '-W', '1', address], { reject: false })).exitCode === 0;
}

suite.describe('zone isolation, networkd backend', () => {
  it('keeps two zones apart, and lets them meet with allowZones on the next ADD', async () => {
    const sandbox = await createSandbox();
    onTestFinished(() => sandbox.cleanup());
    const a = await add(sandbox, 'a', conf('isoa', 81));
    const b = await add(sandbox, 'b', conf('isob', 82));

    expect(await tcp(a.ns, b.addresses)).toEqual(['TIMEOUT', 'TIMEOUT']);
    expect(await tcp(b.ns, a.addresses)).toEqual(['TIMEOUT', 'TIMEOUT']);
    for (const address of b.addresses) expect(await pings(a.ns, address), `ping ${address}`).toBe(false);
    // the gateways are the host's: reached as before
    for (const gateway of ['10.81.0.1', 'fd81::1']) expect(await pings(a.ns, gateway), `ping ${gateway}`).toBe(true);
    const table = String((await networkd.exec('nft', ['list', 'table', 'inet', 'cni_zones'])).stdout);
    expect(table).toContain('chain zone_isolation');
    expect(table).not.toMatch(/masquerade/);

    // b's configuration allows a: the next ADD of a member of b applies it, both ways
    const b2 = await add(sandbox, 'b2', conf('isob', 82, { allowZones: ['isoa'] }));
    // (networkd's IPMasquerade= masquerades the zone's subnets toward the other bridge as well)
    expect(await tcp(a.ns, b.addresses)).toEqual([expect.stringMatching(/^b /), expect.stringMatching(/^b /)]);
    expect(await tcp(b2.ns, a.addresses)).toEqual([expect.stringMatching(/^a /), expect.stringMatching(/^a /)]);
    for (const address of b.addresses) expect(await pings(a.ns, address), `ping ${address}`).toBe(true);
  });
});
