// The `zone` plugin with the reference host-local (/usr/lib/cni/host-local) as its IPAM:
// delegated through CNI_PATH for ADD, CHECK and DEL (not run in-process), and a store that
// host-local wrote read and cleaned up by zone-ipam when the network switches IPAM types.
// The Node bundle dist/bin/zone (the compiled form is what the other zone tests run) runs inside a systemd-networkd sandbox (networkd backend), the
// way a runtime on a networkd host runs it.

import { execa } from 'execa';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { hostVethName } from '../../lib/names/attachment.js';
import { createSandbox, ipIn, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { makeTestTempDir } from '../support/paths.js';
import type { PluginOutcome } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { bundleZone, useZoneBundle } from '../support/zone-world.js';

const HOST_LOCAL = '/usr/lib/cni/host-local';
const tools = ['ip', 'nsenter', 'unshare', 'setpriv', 'systemd-networkd', 'networkctl', 'dbus-daemon', 'busybox', 'ss', HOST_LOCAL];
const suite = privileged(tools);
useZoneBundle('node');
/** A private copy of the Node bundle dist/bin/zone, freshly built (test/support/bundles.ts). */
let ZONE: string;
// host-local 1.1.1 (Debian 12) speaks up to CNI 1.0.0.
const CNI_VERSION = '1.0.0';

let tempRoot: string;
/** CNI_PATH directory with a `host-local` that logs each call, then runs the reference one. */
let spyDir: string;
let counter = 0;

beforeAll(async () => {
  if (!suite.canRun) return;
  ZONE = await bundleZone('node');
  tempRoot = makeTestTempDir('zone-hostlocal-e2e');
  spyDir = join(tempRoot, 'cni-bin');
  await execa('mkdir', ['-p', spyDir]);
  await writeFile(
    join(spyDir, 'host-local'),
    `#!/bin/sh\necho "$CNI_COMMAND $CNI_CONTAINERID" >> "${spyDir}/calls"\nexec ${HOST_LOCAL} "$@"\n`,
  );
  await chmod(join(spyDir, 'host-local'), 0o755);
}, 120_000);

afterAll(async () => {
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

interface Network {
  name: string;
  /** <dataDir>/<name>: host-local's store for this network. */
  store: string;
  conf(ipamType: 'host-local' | 'zone-ipam', extra?: object): object;
}

function network(zone: string, n: number): Network {
  const dataDir = join(tempRoot, `data-${++counter}`);
  const name = `net-${zone}`;
  return {
    name,
    store: join(dataDir, name),
    conf: (ipamType, extra = {}) => ({
      cniVersion: CNI_VERSION,
      name,
      type: 'zone',
      zone,
      backend: 'networkd',
      ipam: {
        type: ipamType,
        dataDir,
        ranges: [[{ subnet: `10.${n}.0.0/24` }], [{ subnet: `fd${n}::/64` }]],
      },
      ...extra,
    }),
  };
}

interface Attachment {
  containerId: string;
  netns: Netns;
}

interface AddResult {
  ips: { address: string; gateway?: string }[];
}

function spyCalls(): string[] {
  const path = join(spyDir, 'calls');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
}

function zone(networkd: NetworkdSandbox, command: string, at: Attachment, conf: object): Promise<PluginOutcome> {
  return networkd.runPlugin(ZONE, {
    command,
    containerId: at.containerId,
    netns: at.netns.path,
    ifname: 'eth0',
    // The spy first: a runtime's CNI_PATH is searched in order.
    path: [spyDir, '/usr/lib/cni'],
    stdin: conf,
    timeoutMs: 45_000,
  });
}

async function expectOk(outcome: PluginOutcome, what: string): Promise<void> {
  expect(outcome.exitCode, `${what}: ${outcome.stdout}\n${outcome.stderr}`).toBe(0);
}

async function addOk(networkd: NetworkdSandbox, at: Attachment, conf: object): Promise<AddResult> {
  const outcome = await zone(networkd, 'ADD', at, conf);
  await expectOk(outcome, 'ADD');
  return outcome.json as AddResult;
}

/** host-local's store: address → "<container id>\r\n<ifname>" (lock and last_reserved_ip.* left out). */
function storeContents(net: Network): Record<string, string> {
  if (!existsSync(net.store)) return {};
  const names = readdirSync(net.store).filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.'));
  return Object.fromEntries(names.map((n) => [n, readFileSync(join(net.store, n), 'utf8')]));
}

function addresses(result: AddResult): string[] {
  return result.ips.map((ip) => ip.address.split('/')[0] as string);
}

async function containerAddresses(netns: Netns): Promise<string[]> {
  const { stdout } = await ipIn(netns, '-j', 'address', 'show', 'dev', 'eth0', 'scope', 'global');
  const infos = (JSON.parse(stdout) as { addr_info: { local?: string; prefixlen?: number }[] }[])[0]?.addr_info ?? [];
  return infos.filter((i) => i.local !== undefined).map((i) => `${i.local}/${i.prefixlen}`);
}

async function hostLinks(networkd: NetworkdSandbox): Promise<string[]> {
  const { stdout } = await networkd.exec('ip', ['-j', 'link', 'show']);
  return (JSON.parse(String(stdout)) as { ifname: string }[]).map((l) => l.ifname);
}

/** A TCP server in `ns` that answers every connection with `reply`, IPv4 and IPv6. */
async function serve(sandbox: Sandbox, ns: Netns, reply: string): Promise<void> {
  sandbox.spawn(ns, 'busybox', ['nc', '-ll', '-p', '8080', '-e', '/bin/busybox', 'echo', reply]);
  for (let i = 0; i < 500; i++) {
    if ((await nsExec(ns, 'ss', ['-Hltn', 'sport = :8080'])).stdout.trim() !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`nothing listens on port 8080 in ${ns.name}`);
}

async function fetchFrom(ns: Netns, address: string): Promise<string> {
  const result = await nsExec(ns, 'busybox', ['nc', '-w', '5', address, '8080'], { input: '', reject: false, timeout: 15_000 });
  return result.stdout.trim();
}

suite.describe('zone plugin with the reference host-local IPAM', () => {
  let networkd: NetworkdSandbox;

  beforeAll(async () => {
    networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
  });

  afterAll(async () => {
    await networkd?.stop();
  });

  async function newSandbox(): Promise<Sandbox> {
    const sandbox = await createSandbox();
    onTestFinished(() => sandbox.cleanup());
    return sandbox;
  }

  async function attachment(sandbox: Sandbox, role: string): Promise<Attachment> {
    return { containerId: `czt-${process.pid}-${++counter}-${role}`, netns: await sandbox.container(role) };
  }

  it('delegates ADD, CHECK and DEL to host-local through CNI_PATH; the allocation lives in its store', async () => {
    const sandbox = await newSandbox();
    const net = network('hl', 84);
    const a = await attachment(sandbox, 'a');
    const result = await addOk(networkd, a, net.conf('host-local'));

    expect(spyCalls()).toContain(`ADD ${a.containerId}`);
    expect(result.ips.map((ip) => ip.address)).toEqual(['10.84.0.2/24', 'fd84::2/64']);
    expect(result.ips.map((ip) => ip.gateway)).toEqual(['10.84.0.1', 'fd84::1']);
    // host-local's own store format: one file per address holding "<id>\r\n<ifname>".
    expect(storeContents(net)).toEqual({ '10.84.0.2': `${a.containerId}\r\neth0`, 'fd84::2': `${a.containerId}\r\neth0` });
    expect((await containerAddresses(a.netns)).sort()).toEqual(['10.84.0.2/24', 'fd84::2/64']);
    // The gateways host-local computed are the zone bridge's addresses, and the container reaches it.
    const bridge = await networkd.exec('ip', ['-br', 'address', 'show', 'dev', 'vz-hl']);
    expect(String(bridge.stdout)).toMatch(/10\.84\.0\.1\/24 .*fd84::1\/64/);
    await serve(sandbox, networkd.host, 'from-gateway');
    expect(await fetchFrom(a.netns, '10.84.0.1')).toBe('from-gateway');
    expect(await fetchFrom(a.netns, 'fd84::1')).toBe('from-gateway');

    const prevResult = result;
    await expectOk(await zone(networkd, 'CHECK', a, net.conf('host-local', { prevResult })), 'CHECK');
    expect(spyCalls()).toContain(`CHECK ${a.containerId}`);
    // host-local's CHECK is really asked: without its allocations, CHECK fails although the link is fine.
    const saved = storeContents(net);
    for (const address of Object.keys(saved)) await unlink(join(net.store, address));
    const broken = await zone(networkd, 'CHECK', a, net.conf('host-local', { prevResult }));
    expect(broken.exitCode, broken.stdout).toBe(1);
    expect(JSON.stringify(broken.json)).toContain(`host-local: Failed to find address added by container ${a.containerId}`);
    for (const [address, owner] of Object.entries(saved)) await writeFile(join(net.store, address), owner);
    await expectOk(await zone(networkd, 'CHECK', a, net.conf('host-local', { prevResult })), 'CHECK after restoring the store');

    for (const run of [1, 2]) await expectOk(await zone(networkd, 'DEL', a, net.conf('host-local')), `DEL #${run}`);
    expect(spyCalls().filter((c) => c === `DEL ${a.containerId}`)).toHaveLength(2);
    expect(storeContents(net)).toEqual({});
    expect(await hostLinks(networkd)).not.toContain(hostVethName(a.containerId, 'eth0'));
    expect((await ipIn(a.netns, '-o', 'link')).stdout).not.toContain('eth0');
  });

  it('zone-ipam reads the store host-local wrote: a new ADD avoids its addresses, DEL releases them', async () => {
    const sandbox = await newSandbox();
    const net = network('hl2', 85);
    const a = await attachment(sandbox, 'a');
    const b = await attachment(sandbox, 'b');

    const resultA = await addOk(networkd, a, net.conf('host-local'));
    expect(spyCalls()).toContain(`ADD ${a.containerId}`);
    const storeA = storeContents(net);
    expect(Object.keys(storeA).sort()).toEqual(addresses(resultA).sort());

    // The network switches to zone-ipam, same dataDir: in-process, host-local is no longer called.
    const calls = spyCalls().length;
    const resultB = await addOk(networkd, b, net.conf('zone-ipam'));
    expect(spyCalls()).toHaveLength(calls);
    for (const address of addresses(resultB)) expect(addresses(resultA)).not.toContain(address);
    expect(resultB.ips.map((ip) => ip.gateway)).toEqual(['10.85.0.1', 'fd85::1']);
    expect(storeContents(net)).toEqual({
      ...storeA,
      ...Object.fromEntries(addresses(resultB).map((address) => [address, `${b.containerId}\r\neth0`])),
    });

    // A and B share the zone: B reaches A over TCP, A's addresses being host-local's.
    await serve(sandbox, a.netns, 'from-a');
    expect(await fetchFrom(b.netns, addresses(resultA)[0] as string)).toBe('from-a');
    expect(await fetchFrom(b.netns, addresses(resultA)[1] as string)).toBe('from-a');

    // DEL of A through zone-ipam releases what host-local allocated for it.
    await expectOk(await zone(networkd, 'DEL', a, net.conf('zone-ipam')), 'DEL A');
    expect(spyCalls()).toHaveLength(calls);
    expect(Object.keys(storeContents(net)).sort()).toEqual(addresses(resultB).sort());
    expect(await hostLinks(networkd)).not.toContain(hostVethName(a.containerId, 'eth0'));

    // And host-local, back in charge, reads zone-ipam's allocation of B and does not hand it out again.
    const c = await attachment(sandbox, 'c');
    const resultC = await addOk(networkd, c, net.conf('host-local'));
    for (const address of addresses(resultC)) expect(addresses(resultB)).not.toContain(address);
    await expectOk(await zone(networkd, 'DEL', b, net.conf('host-local')), 'DEL B');
    await expectOk(await zone(networkd, 'DEL', c, net.conf('zone-ipam')), 'DEL C');
    expect(storeContents(net)).toEqual({});
  });
});
