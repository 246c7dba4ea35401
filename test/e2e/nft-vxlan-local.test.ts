// lib/nft/vxlan-local.ts for real: two "hosts", each a systemd-networkd sandbox (its own network
// namespace) joined by a veth underlay, each with a zone bridge `vz-t` holding a VXLAN port
// `vx-t` (VNI 42, head-end replication to the other host) and served by networkd as production
// serves a zone: a DHCPv4 server (host A's pool .100-.149; host B's .150-.199, switched on last)
// and router advertisements (IPv6SendRA=, prefix fd77::/64). Clients are namespaces on a bridge
// port, asking with busybox udhcpc and accepting RAs as any Linux does.
//
// Without the rules, host A leases to a client on host B and becomes its default router: the
// check below can fail. With the rules on host A alone, on host B alone, and on both, a client
// on B gets neither, not even once A announces itself anew; its own host's RAs and, once B's
// server runs, its own host's leases reach it; ping crosses both ways, v4 and v6.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chooseNftExecutor } from '../../lib/nft/default-executor.js';
import { ourTable } from '../../lib/nft/our-table.js';
import type { NftTable } from '../../lib/nft/table.js';
import { keepZoneTrafficLocal, stopKeepingZoneTrafficLocal, zoneTrafficLocalProblems } from '../../lib/nft/vxlan-local.js';
import { addAddress, createSandbox, createVethPair, ipIn, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { poll } from '../support/poll.js';
import { privileged } from '../support/privileges.js';

const suite = privileged(['ip', 'bridge', 'nsenter', 'unshare', 'setpriv', 'systemd-networkd', 'networkctl', 'dbus-daemon', 'busybox']);

/** How long a client waits for RAs that must not come, once the host that would send them announced itself. */
const QUIET_MS = 4_000;

interface Host {
  readonly name: 'A' | 'B';
  readonly n: 1 | 2;
  readonly networkd: NetworkdSandbox;
  readonly table: NftTable;
  /** The bridge's link-local address: the gateway of the default route its RAs make. */
  linkLocal: string;
}

let sandbox: Sandbox;
let a: Host;
let b: Host;
let clientA: Netns;
let clientB: Netns;
let clients = 0;

/** The zone's .network as production writes it (lib/networkd/zone-files.ts), host n's gateways, with or without its pool. */
function zoneNetwork(n: 1 | 2, dhcpServer: boolean): string {
  return [
    '[Match]',
    'Name=vz-t',
    'Kind=bridge',
    '[Network]',
    'ConfigureWithoutCarrier=yes',
    'IgnoreCarrierLoss=yes',
    'LinkLocalAddressing=ipv6',
    'IPv6AcceptRA=no',
    'IPv6SendRA=yes',
    `DHCPServer=${dhcpServer ? 'yes' : 'no'}`,
    '[Address]',
    `Address=10.77.0.${n}/24`,
    '[Address]',
    `Address=fd77::${n}/64`,
    'DuplicateAddressDetection=none',
    '[DHCPServer]',
    `PoolOffset=${50 + 50 * n}`,
    'PoolSize=50',
    '[IPv6Prefix]',
    'Prefix=fd77::/64',
    '',
  ].join('\n');
}

async function configureZone(host: Host, dhcpServer: boolean): Promise<void> {
  await writeFile(join(host.networkd.networkPath, '70-zone-t.network'), zoneNetwork(host.n, dhcpServer));
  await host.networkd.reload();
  host.linkLocal = await poll(
    `vz-t on host ${host.name} configured`,
    15_000,
    async () => {
      const { stdout } = await ipIn(host.networkd.host, '-j', 'address', 'show', 'dev', 'vz-t');
      const addresses = (JSON.parse(stdout) as { addr_info: { local: string }[] }[]).flatMap((link) => link.addr_info.map((i) => i.local));
      const linkLocal = addresses.find((address) => address.startsWith('fe80:'));
      return addresses.includes(`10.77.0.${host.n}`) && addresses.includes(`fd77::${host.n}`) ? linkLocal : undefined;
    },
    () => host.networkd.log(),
  );
}

/** Host n: underlay address, `vz-t` with a fixed MAC (so its link-local stays), `vx-t` flooding to the other host. */
async function makeHost(name: 'A' | 'B', n: 1 | 2, networkd: NetworkdSandbox): Promise<Host> {
  const ns = networkd.host;
  await addAddress(ns, 'ul', `192.0.2.${n}/24`);
  await ipIn(ns, 'link', 'add', 'vz-t', 'address', `02:00:00:77:00:0${n}`, 'type', 'bridge');
  await ipIn(ns, 'link', 'add', 'vx-t', 'type', 'vxlan', 'id', '42', 'local', `192.0.2.${n}`, 'dstport', '4789');
  await nsExec(ns, 'bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx-t', 'dst', `192.0.2.${3 - n}`]);
  await ipIn(ns, 'link', 'set', 'vx-t', 'master', 'vz-t', 'up');
  await ipIn(ns, 'link', 'set', 'vz-t', 'up');
  const host: Host = { name, n, networkd, table: ourTable(chooseNftExecutor({ netns: ns.path }), 'bridge'), linkLocal: '' };
  await configureZone(host, n === 1);
  return host;
}

/** A client namespace on `host`'s bridge, `eth0` up (IPv6 link-local, RAs accepted), with `addresses` if given. */
async function client(host: Host, addresses: readonly string[] = []): Promise<Netns> {
  clients += 1;
  const ns = await sandbox.container(`c${host.name.toLowerCase()}${clients}`);
  const veth = await createVethPair(host.networkd.host, ns, { nameB: 'eth0' });
  await ipIn(host.networkd.host, 'link', 'set', veth.a.ifname, 'master', 'vz-t');
  for (const address of addresses) await addAddress(ns, 'eth0', address);
  return ns;
}

interface Lease {
  address: string;
  server: string;
}

/** One DHCPv4 exchange (busybox udhcpc, three DISCOVERs a second apart): the lease offered and acknowledged, if any. */
async function lease(ns: Netns): Promise<Lease | undefined> {
  const args = ['udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-s', '/bin/true', '-t', '3', '-T', '1'];
  const run = await nsExec(ns, 'busybox', args, { reject: false, timeout: 20_000 });
  const found = /lease of (\S+) obtained from (\S+),/.exec(`${run.stdout}\n${run.stderr}`);
  return found ? { address: found[1] as string, server: found[2] as string } : undefined;
}

/** The routers of `ns`'s default routes learned from RAs. */
async function routers(ns: Netns): Promise<string[]> {
  const { stdout } = await ipIn(ns, '-6', '-j', 'route', 'show', 'default');
  return (JSON.parse(stdout) as { gateway?: string; protocol?: string }[])
    .filter((route) => route.protocol === 'ra')
    .map((route) => route.gateway ?? '');
}

/** Wait until `ns` has a default route through `host`. */
function routerSeen(ns: Netns, host: Host): Promise<true> {
  return poll(`a router advertisement of host ${host.name}`, 15_000, async () => (await routers(ns)).includes(host.linkLocal) || undefined);
}

/** Host A says goodbye and announces itself anew (networkd restarts its RA sender): multicast RAs to every port. */
async function reannounce(host: Host): Promise<void> {
  await host.networkd.exec('networkctl', ['reconfigure', 'vz-t']);
}

/** The routers of a fresh client on B once it learned B, QUIET_MS after host A announced itself anew. */
async function routersOfFreshClientOnB(): Promise<string[]> {
  const ns = await client(b);
  await routerSeen(ns, b);
  await reannounce(a);
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  return routers(ns);
}

async function pings(from: Netns, to: string): Promise<boolean> {
  const run = await nsExec(from, 'busybox', ['ping', '-c', '1', '-W', '2', to], { reject: false });
  return run.exitCode === 0;
}

beforeAll(async () => {
  if (!suite.canRun) return;
  sandbox = await createSandbox();
  const [networkdA, networkdB] = await Promise.all([
    startNetworkdSandbox({ hideVendorNetworkFiles: true }),
    startNetworkdSandbox({ hideVendorNetworkFiles: true }),
  ]);
  sandbox.defer(() => Promise.all([networkdA.stop(), networkdB.stop()]));
  await createVethPair(networkdA.host, networkdB.host, { nameA: 'ul', nameB: 'ul' });
  a = await makeHost('A', 1, networkdA);
  b = await makeHost('B', 2, networkdB);
  clientA = await client(a, ['10.77.0.11/24', 'fd77::11/64']);
  clientB = await client(b, ['10.77.0.12/24', 'fd77::12/64']);
}, 120_000);

afterAll(() => sandbox?.cleanup());

suite.describe('DHCP and router advertisements stay on their own host of a zone spanning hosts', () => {
  it('without the rules, host A leases to a client on host B and becomes its router (what the rules are for)', async () => {
    await expect(zoneTrafficLocalProblems(a.table)).resolves.toEqual(['table bridge cni_zones missing']);
    expect(await lease(clientB)).toMatchObject({ server: '10.77.0.1', address: expect.stringMatching(/^10\.77\.0\.1[0-4]\d$/) });
    expect((await routersOfFreshClientOnB()).sort()).toEqual([a.linkLocal, b.linkLocal].sort());
  });

  it('with the rules on host A alone, nothing of A reaches B: A neither hears B nor answers it', async () => {
    await expect(keepZoneTrafficLocal(a.table)).resolves.toBe(true);
    await expect(keepZoneTrafficLocal(a.table)).resolves.toBe(false);
    await expect(zoneTrafficLocalProblems(a.table)).resolves.toEqual([]);
    expect(await lease(clientB)).toBeUndefined();
    expect(await routersOfFreshClientOnB()).toEqual([b.linkLocal]);
    expect(await lease(clientA)).toMatchObject({ server: '10.77.0.1' });
  });

  it('with the rules on host B alone, nothing of A reaches B: B lets nothing out or in', async () => {
    await expect(stopKeepingZoneTrafficLocal(a.table)).resolves.toBe(true);
    await expect(stopKeepingZoneTrafficLocal(a.table)).resolves.toBe(false);
    await expect(zoneTrafficLocalProblems(a.table)).resolves.toEqual(['table bridge cni_zones missing']);
    await keepZoneTrafficLocal(b.table);
    expect(await lease(clientB)).toBeUndefined();
    expect(await routersOfFreshClientOnB()).toEqual([b.linkLocal]);
  });

  it('with the rules on both, each host leases from its own pool and routes its own members; the rest crosses', async () => {
    await keepZoneTrafficLocal(a.table);
    await configureZone(b, true);
    for (let i = 0; i < 3; i++) {
      expect(await lease(clientB)).toMatchObject({ server: '10.77.0.2', address: expect.stringMatching(/^10\.77\.0\.1[5-9]\d$/) });
      expect(await lease(clientA)).toMatchObject({ server: '10.77.0.1', address: expect.stringMatching(/^10\.77\.0\.1[0-4]\d$/) });
    }
    expect(await routersOfFreshClientOnB()).toEqual([b.linkLocal]);
    for (const [from, to] of [
      [clientA, '10.77.0.12'],
      [clientB, '10.77.0.11'],
      [clientA, 'fd77::12'],
      [clientB, 'fd77::11'],
      [clientB, '10.77.0.1'],
    ] as const) {
      expect(await pings(from, to), `ping ${to}`).toBe(true);
    }
  });
});
