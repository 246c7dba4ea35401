// A mixed zone: a real systemd-nspawn machine (`--network-zone=`) and a CNI container attached
// by the compiled zone share one vz-<zone> bridge inside a systemd-networkd sandbox
// (vendor 80-container-*.network files in place, as on a real host). The machine gets its
// address from the DHCP pool networkd serves from our files (IPAM's range lies below the pool),
// and the two talk TCP both ways. Both orders: the machine first (nspawn makes the bridge and
// ADD adopts it) and the container first (ADD makes the zone and nspawn joins it).

import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { hostVethName } from '../../lib/names/attachment.js';
import { createSandbox, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { networkctlStatus, staticAddresses } from '../support/networkctl.js';
import { type NspawnMachine, runNspawn, startNspawn } from '../support/nspawn-machine.js';
import { nspawnRoot } from '../support/nspawn-root.js';
import { makeTestTempDir } from '../support/paths.js';
import { poll } from '../support/poll.js';
import type { PluginOutcome } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { bundleZone, useZoneBundle } from '../support/zone-world.js';

const tools = [
  'ip',
  'nsenter',
  'unshare',
  'setpriv',
  'systemd-networkd',
  'networkctl',
  'dbus-daemon',
  'systemd-nspawn',
  'busybox',
  'ss',
  'python3',
];
const suite = privileged(tools);
useZoneBundle();
/** A private copy of the compiled zone, freshly built (test/support/bundles.ts). */
let ZONE: string;
const CONTAINER_PORT = 8080;
const machinePage = 'hello from a cni-zones test machine';
const containerPage = 'hello from a cni container';
const pool = { offset: 128, size: 64 };

let tempRoot: string;
let counter = 0;

beforeAll(async () => {
  if (!suite.canRun) return;
  ZONE = await bundleZone();
  tempRoot = makeTestTempDir('zone-nspawn-e2e');
  await nspawnRoot();
}, 120_000);

afterAll(async () => {
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

interface Zone {
  zone: string;
  /** 10.<n>.0.0/24 and fd<n>::/64 */
  n: number;
  conf: object;
}

function zoneConf(zone: string, n: number): Zone {
  return {
    zone,
    n,
    conf: {
      cniVersion: '1.1.0',
      name: `net-${zone}`,
      type: 'zone',
      zone,
      backend: 'networkd',
      dhcpPool: pool,
      ipam: {
        type: 'zone-ipam',
        dataDir: join(tempRoot, `ipam-${++counter}`),
        // Below the pool networkd leases from (offset 128): IPAM and DHCP never hand out one address twice.
        ranges: [[{ subnet: `10.${n}.0.0/24`, rangeStart: `10.${n}.0.10`, rangeEnd: `10.${n}.0.100` }], [{ subnet: `fd${n}::/64` }]],
      },
    },
  };
}

interface AddResult {
  ips: { address: string; gateway?: string }[];
}

async function add(networkd: NetworkdSandbox, zone: Zone, containerId: string, netns: Netns): Promise<AddResult> {
  const outcome: PluginOutcome = await networkd.runPlugin(ZONE, {
    command: 'ADD',
    containerId,
    netns: netns.path,
    ifname: 'eth0',
    path: '/usr/lib/cni',
    stdin: zone.conf,
    timeoutMs: 45_000,
  });
  expect(outcome.exitCode, `ADD failed: ${outcome.stdout}\n${outcome.stderr}\n${await networkd.log()}`).toBe(0);
  return outcome.json as AddResult;
}

function v4Of(result: AddResult): string {
  return (result.ips.find((ip) => !ip.address.includes(':'))?.address ?? '').split('/')[0] as string;
}

function v6Of(result: AddResult): string {
  return (result.ips.find((ip) => ip.address.includes(':'))?.address ?? '').split('/')[0] as string;
}

/**
 * The machine: DHCP on host0 until the lease comes from our zone's subnet (before our files
 * exist the vendor 80-container-vz.network serves the bridge from another pool), then its
 * addresses into /shared, httpd on port 80, and a TCP read from the container once
 * /shared/peer names it.
 */
function machineScript(n: number): string {
  return `
until udhcpc -i host0 -n -q -t 3 -T 1 >/dev/null 2>&1 && ip -4 addr show dev host0 | grep -q 'inet 10\\.${n}\\.0\\.'; do sleep 0.3; done
ip -4 -o addr show dev host0 | sed -n 's/.* inet \\([0-9.]*\\)\\/.*/\\1/p' > /shared/ip.tmp && mv /shared/ip.tmp /shared/ip
ip -4 route show default > /shared/route
httpd -p 80 -h /www
i=0
until ip -6 addr show dev host0 scope global | grep -q 'inet6 fd${n}:'; do i=$((i+1)); [ $i -lt 300 ] || break; sleep 0.1; done
ip -6 -o addr show dev host0 scope global | sed -n 's/.* inet6 \\(fd${n}:[0-9a-f:]*\\)\\/64.*/\\1/p' > /shared/ip6.tmp && mv /shared/ip6.tmp /shared/ip6
until [ -s /shared/peer ]; do sleep 0.1; done
i=0
until nc -w 3 "$(cat /shared/peer)" ${CONTAINER_PORT} </dev/null >/shared/fetched.tmp && [ -s /shared/fetched.tmp ]; do i=$((i+1)); [ $i -lt 20 ] || break; sleep 0.5; done
mv /shared/fetched.tmp /shared/fetched
exec sleep 3600
`;
}

interface Machine {
  machine: NspawnMachine;
  shared: string;
  /** What the machine printed so far (nspawn runs with --console=pipe). */
  output: () => string;
}

async function startMachine(networkd: NetworkdSandbox, zone: Zone, defer: (action: () => unknown) => void): Promise<Machine> {
  const shared = join(tempRoot, `shared-${++counter}`);
  await mkdir(shared);
  const machine = startNspawn(['/bin/busybox', 'sh', '-c', machineScript(zone.n)], {
    root: await nspawnRoot(),
    nsenter: networkd.nsenterOptions,
    networkZone: zone.zone,
    ephemeral: true,
    extraArgs: [`--bind=${shared}:/shared`],
  });
  defer(() => machine.stop());
  let output = '';
  machine.process.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  machine.process.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { machine, shared, output: () => output };
}

async function sharedFile(machine: Machine, name: string): Promise<string | undefined> {
  const path = join(machine.shared, name);
  if (!existsSync(path)) return undefined;
  const text = (await readFile(path, 'utf8')).trim();
  return text === '' ? undefined : text;
}

async function diagnose(networkd: NetworkdSandbox, machine: Machine, zone: Zone): Promise<string> {
  const links = await networkd.exec('ip', ['-br', 'address'], { reject: false });
  const output = machine.output();
  const log = (await networkd.log()).split('\n').filter((l) => l.includes(`vz-${zone.zone}`) || l.includes('vb-'));
  return `links:\n${links.stdout}\nnetworkd:\n${log.join('\n')}\nmachine output: ${output}`;
}

interface IpLink {
  ifindex: number;
  ifname: string;
  master?: string;
}

async function sandboxLinks(networkd: NetworkdSandbox): Promise<IpLink[]> {
  const { stdout } = await networkd.exec('ip', ['-j', 'link', 'show']);
  return JSON.parse(String(stdout)) as IpLink[];
}

/** The container answers every TCP connection on CONTAINER_PORT with its page. */
async function serveContainerPage(sandbox: Sandbox, container: Netns): Promise<void> {
  sandbox.spawn(container, 'busybox', ['nc', '-ll', '-p', String(CONTAINER_PORT), '-e', '/bin/busybox', 'echo', containerPage]);
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const { stdout } = await nsExec(container, 'ss', ['-Hltn', `sport = :${CONTAINER_PORT}`]);
    if (stdout.trim() !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the container does not listen');
}

// An HTTP client in node: the static busybox's wget crashes (SIGSEGV) on this machine.
const httpGet = `
const [url] = process.argv.slice(1);
require('node:http').get(url, { timeout: 5000 }, (res) => {
  let body = '';
  res.on('data', (chunk) => (body += chunk));
  res.on('end', () => process.stdout.write(body));
}).on('error', (e) => { console.error(e.message); process.exit(2); }).on('timeout', () => { console.error('timeout'); process.exit(3); });
`;

async function fetchFromMachine(container: Netns, address: string): Promise<string> {
  const host = address.includes(':') ? `[${address}]` : address;
  const result = await nsExec(container, process.execPath, ['-e', httpGet, `http://${host}/`], {
    reject: false,
    timeout: 20_000,
    env: { NODE_EXTRA_CA_CERTS: '' },
  });
  return result.exitCode === 0 ? result.stdout.trim() : `fetch failed: ${result.message}`;
}

/** What both orders check once machine and container share the zone. */
async function expectMixedZone(
  networkd: NetworkdSandbox,
  zone: Zone,
  machine: Machine,
  container: Netns,
  result: AddResult,
  sandbox: Sandbox,
): Promise<void> {
  const { n } = zone;
  // networkd serves the zone from our file: our gateways only, and the machine's lease from the pool.
  const status = await networkctlStatus(networkd, `vz-${zone.zone}`);
  expect(status).toMatchObject({
    AdministrativeState: 'configured',
    NetworkFile: `/run/systemd/network/70-cni-zones-${zone.zone}.network`,
  });
  expect(staticAddresses(status)).toEqual([`10.${n}.0.1/24`, `fd${n}::1/64`]);

  const machineIp = await poll(
    'the machine to get a lease from the zone',
    45_000,
    () => sharedFile(machine, 'ip'),
    () => diagnose(networkd, machine, zone),
  );
  const host = Number(machineIp.split('.')[3]);
  expect(machineIp.startsWith(`10.${n}.0.`)).toBe(true);
  expect(host).toBeGreaterThanOrEqual(pool.offset);
  expect(host).toBeLessThan(pool.offset + pool.size);
  expect(await sharedFile(machine, 'route')).toContain(`default via 10.${n}.0.1 dev host0`);
  const containerIp = v4Of(result);
  expect(Number(containerIp.split('.')[3])).toBeLessThan(pool.offset);

  // Container → machine, IPv4 and (SLAAC from our RAs) IPv6.
  expect(await fetchFromMachine(container, machineIp)).toBe(machinePage);
  const machineIp6 = await poll(
    'the machine to take a SLAAC address from our RAs',
    45_000,
    () => sharedFile(machine, 'ip6'),
    () => diagnose(networkd, machine, zone),
  );
  expect(machineIp6.startsWith(`fd${n}:`)).toBe(true);
  expect(await fetchFromMachine(container, machineIp6)).toBe(machinePage);

  // Machine → container.
  await serveContainerPage(sandbox, container);
  await writeFile(join(machine.shared, 'peer'), `${containerIp}\n`);
  expect(
    await poll(
      'the machine to fetch from the container',
      45_000,
      () => sharedFile(machine, 'fetched'),
      () => diagnose(networkd, machine, zone),
    ),
  ).toBe(containerPage);
  expect(v6Of(result).startsWith(`fd${n}::`)).toBe(true);
}

// Holds an exclusive OFD lock (fcntl F_OFD_SETLKW, as systemd's make_lock_file) on argv[1],
// creates argv[2] once it has it, and lets go when argv[3] appears.
const ofdLockHolder = `
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, 0, 0, 0))
open(sys.argv[2], 'w').close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
`;

suite.describe('mixed zone: systemd-nspawn machine and CNI container (networkd backend)', () => {
  let networkd: NetworkdSandbox;
  let sandbox: Sandbox;

  beforeAll(async () => {
    networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
  });

  afterAll(async () => {
    await networkd?.stop();
  });

  async function newSandbox(): Promise<Sandbox> {
    sandbox = await createSandbox();
    onTestFinished(() => sandbox.cleanup());
    return sandbox;
  }

  it('machine first: nspawn makes vz-<zone>, ADD adopts it (same ifindex) and our files take over', async () => {
    const containers = await newSandbox();
    const zone = zoneConf('mfirst', 82);
    const machine = await startMachine(networkd, zone, containers.defer);
    // nspawn made the bridge and put the machine's vb- veth on it; the vendor file configures it.
    const bridge = await poll('nspawn to put the machine on vz-mfirst', 30_000, async () => {
      const links = await sandboxLinks(networkd);
      const found = links.find((l) => l.ifname === 'vz-mfirst');
      return found && links.some((l) => l.master === 'vz-mfirst') ? found : undefined;
    });
    const vendor = await poll('the vendor file to configure vz-mfirst', 15_000, async () => {
      const status = await networkctlStatus(networkd, 'vz-mfirst');
      return status.NetworkFile ? status : undefined;
    });
    expect(vendor.NetworkFile).toBe('/usr/lib/systemd/network/80-container-vz.network');

    const container = await containers.container('c');
    const containerId = `czt-${process.pid}-mfirst`;
    const result = await add(networkd, zone, containerId, container);
    const links = await sandboxLinks(networkd);
    expect(links.find((l) => l.ifname === 'vz-mfirst')?.ifindex).toBe(bridge.ifindex);
    expect(links.find((l) => l.ifname === hostVethName(containerId, 'eth0'))?.master).toBe('vz-mfirst');
    expect(links.filter((l) => l.master === 'vz-mfirst')).toHaveLength(2);
    await expectMixedZone(networkd, zone, machine, container, result, containers);
  });

  it('container first: ADD makes the zone, the machine joins it', async () => {
    const containers = await newSandbox();
    const zone = zoneConf('cfirst', 83);
    const container = await containers.container('c');
    const containerId = `czt-${process.pid}-cfirst`;
    const result = await add(networkd, zone, containerId, container);
    const bridge = (await sandboxLinks(networkd)).find((l) => l.ifname === 'vz-cfirst');
    expect(bridge).toBeDefined();

    const machine = await startMachine(networkd, zone, containers.defer);
    await poll('nspawn to put the machine on vz-cfirst', 30_000, async () => {
      const links = await sandboxLinks(networkd);
      return links.filter((l) => l.master === 'vz-cfirst').length === 2 ? true : undefined;
    });
    expect((await sandboxLinks(networkd)).find((l) => l.ifname === 'vz-cfirst')?.ifindex).toBe(bridge?.ifindex);
    await expectMixedZone(networkd, zone, machine, container, result, containers);
  });

  it('a zone bridge nspawn removed when its last machine left comes back with the next ADD', async () => {
    const containers = await newSandbox();
    const zone = zoneConf('again', 86);
    const a = await containers.container('a');
    await add(networkd, zone, `czt-${process.pid}-again-a`, a);
    const del = await networkd.runPlugin(ZONE, {
      command: 'DEL',
      containerId: `czt-${process.pid}-again-a`,
      netns: a.path,
      ifname: 'eth0',
      path: '/usr/lib/cni',
      stdin: zone.conf,
    });
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    const first = (await sandboxLinks(networkd)).find((l) => l.ifname === 'vz-again');
    expect(first).toBeDefined();

    // A machine comes and goes: on its way out nspawn deletes the zone bridge, now empty.
    const run = await runNspawn(['/bin/busybox', 'true'], {
      root: await nspawnRoot(),
      nsenter: networkd.nsenterOptions,
      networkZone: zone.zone,
      ephemeral: true,
    });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect((await sandboxLinks(networkd)).find((l) => l.ifname === 'vz-again')).toBeUndefined();

    // Our files are unchanged, yet the next ADD must bring the bridge back, configured by them.
    const b = await containers.container('b');
    const result = await add(networkd, zone, `czt-${process.pid}-again-b`, b);
    const bridge = (await sandboxLinks(networkd)).find((l) => l.ifname === 'vz-again');
    expect(bridge?.ifindex).not.toBe(first?.ifindex);
    const status = await networkctlStatus(networkd, 'vz-again');
    expect(status).toMatchObject({ AdministrativeState: 'configured', NetworkFile: '/run/systemd/network/70-cni-zones-again.network' });
    expect(staticAddresses(status)).toEqual(['10.86.0.1/24', 'fd86::1/64']);
    expect((await sandboxLinks(networkd)).find((l) => l.ifname === hostVethName(`czt-${process.pid}-again-b`, 'eth0'))?.master).toBe(
      'vz-again',
    );
    containers.spawn(networkd.host, 'busybox', ['nc', '-ll', '-p', '8081', '-e', '/bin/busybox', 'echo', 'gateway']);
    await poll('the gateway listener', 10_000, async () =>
      (await networkd.exec('ss', ['-Hltn', 'sport = :8081'])).stdout.trim() !== '' ? true : undefined,
    );
    const reply = await nsExec(b, 'busybox', ['nc', '-w', '5', '10.86.0.1', '8081'], { input: '', reject: false, timeout: 15_000 });
    expect(reply.stdout.trim()).toBe('gateway');
    expect(v4Of(result).startsWith('10.86.0.')).toBe(true);
  });

  it('ADD waits for the zone lock systemd-nspawn takes (an OFD lock on /run/systemd/nspawn-network-zone)', async () => {
    const containers = await newSandbox();
    const zone = zoneConf('locked', 87);
    const dir = join(tempRoot, `lock-${++counter}`);
    await mkdir(dir);
    const [locked, release] = [join(dir, 'locked'), join(dir, 'release')];
    // What nspawn 252 does around creating or removing a zone bridge (strace: F_OFD_SETLKW, F_WRLCK).
    const holder = networkd.exec('python3', ['-c', ofdLockHolder, '/run/systemd/nspawn-network-zone', locked, release], {
      reject: false,
      timeoutMs: 60_000,
    });
    containers.defer(async () => {
      await writeFile(release, '');
      await holder;
    });
    await poll('the lock holder', 10_000, async () => (existsSync(locked) ? true : undefined));

    const container = await containers.container('c');
    let finished = false;
    const adding = networkd
      .runPlugin(ZONE, {
        command: 'ADD',
        containerId: `czt-${process.pid}-locked`,
        netns: container.path,
        ifname: 'eth0',
        path: '/usr/lib/cni',
        stdin: zone.conf,
        timeoutMs: 50_000,
      })
      .finally(() => (finished = true));
    // IPAM runs before the bridge step; once its allocation exists the ADD is at (or near) the lock.
    const store = join((zone.conf as { ipam: { dataDir: string } }).ipam.dataDir, 'net-locked');
    await poll('the ADD to allocate its addresses', 30_000, async () =>
      existsSync(store) && readdirSync(store).some((f) => f.startsWith('10.87.')) ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(finished, 'ADD finished while nspawn held the zone lock').toBe(false);
    expect((await sandboxLinks(networkd)).find((l) => l.ifname === 'vz-locked')).toBeUndefined();

    await writeFile(release, '');
    await holder;
    const outcome = await adding;
    expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(0);
    expect((await sandboxLinks(networkd)).find((l) => l.ifname === 'vz-locked')).toBeDefined();
  });
});
