// The zone's name server answers the zone's systemd-nspawn machines, which never call our plugin:
// in a systemd-networkd sandbox the compiled zone plugin ADDs a CNI container to a zone (networkd
// backend, a DHCP pool, the name server on with a private state directory), then a real
// `systemd-nspawn --network-zone=<zone>` machine joins it and takes a DHCP lease and a SLAAC
// address on host0. From the container and from the zone's host namespace, at the gateway:
// `<machine>.<zone>.internal` answers exactly the addresses the machine has on host0 (A, AAAA),
// PTR answers its name, an unknown name is NXDOMAIN, a container whose pod name is the machine's
// makes that name answer both, and once the machine stops its name is NXDOMAIN again within a
// bounded wait. `zonectl status` lists the machine with its name and addresses. No machined runs
// here: the name comes from the machine's vb- port. Every server is stopped by the last DEL, and
// any left is killed.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { ask } from '../support/dns-client.js';
import { createSandbox, type Netns } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { startNspawn } from '../support/nspawn-machine.js';
import { nspawnRoot } from '../support/nspawn-root.js';
import { makeTestTempDir } from '../support/paths.js';
import { poll } from '../support/poll.js';
import { privileged } from '../support/privileges.js';
import { nameServersIn } from '../support/processes.js';
import { bundleZone, useZoneBundle } from '../support/zone-world.js';

const tools = ['ip', 'nsenter', 'unshare', 'setpriv', 'systemd-networkd', 'networkctl', 'dbus-daemon', 'systemd-nspawn', 'busybox'];
const suite = privileged(tools);
useZoneBundle();

const ZONE_NAME = 'nsdns';
const N = 88;
const GATEWAY = { v4: `10.${N}.0.1`, v6: `fd${N}::1` };
const pool = { offset: 128, size: 64 };
// Short enough for nspawn's `vb-<machine>` port (15 characters), unique to this test process: nspawn
// leaves /run/systemd/nspawn/propagate/<machine> behind, which the support code removes by name.
const MACHINE = `db-${process.pid}`;
const MACHINE_NAME = `${MACHINE}.${ZONE_NAME}.internal`;

let ZONE: string;
let tempRoot: string;

beforeAll(async () => {
  if (!suite.canRun) return;
  ZONE = await bundleZone();
  tempRoot = makeTestTempDir('zone-dns-nspawn');
  await nspawnRoot();
}, 120_000);

afterAll(async () => {
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

function zoneConf(stateDir: string): object {
  return {
    cniVersion: '1.1.0',
    name: `net-${ZONE_NAME}`,
    type: 'zone',
    zone: ZONE_NAME,
    backend: 'networkd',
    dhcpPool: pool,
    nameServer: { stateDir, forward: false },
    ipam: {
      type: 'zone-ipam',
      dataDir: join(tempRoot, 'ipam'),
      // Below the pool networkd leases from: IPAM and DHCP never hand out one address twice.
      ranges: [[{ subnet: `10.${N}.0.0/24`, rangeStart: `10.${N}.0.10`, rangeEnd: `10.${N}.0.100` }], [{ subnet: `fd${N}::/64` }]],
    },
  };
}

/**
 * The machine: DHCP on host0 until the lease comes from the zone, then what it has on host0
 * (IPv4, and its SLAAC address from our router advertisements) into /shared, then it waits.
 */
const machineScript = `
until udhcpc -i host0 -n -q -t 3 -T 1 >/dev/null 2>&1 && ip -4 addr show dev host0 | grep -q 'inet 10\\.${N}\\.0\\.'; do sleep 0.3; done
ip -4 -o addr show dev host0 | sed -n 's/.* inet \\([0-9.]*\\)\\/.*/\\1/p' > /shared/ip.tmp && mv /shared/ip.tmp /shared/ip
i=0
until ip -6 addr show dev host0 scope global | grep -v tentative | grep -q 'inet6 fd${N}:'; do i=$((i+1)); [ $i -lt 300 ] || break; sleep 0.1; done
ip -6 -o addr show dev host0 scope global | sed -n 's/.* inet6 \\(fd${N}:[0-9a-f:]*\\)\\/64.*/\\1/p' > /shared/ip6.tmp && mv /shared/ip6.tmp /shared/ip6
exec sleep 3600
`;

async function sharedFile(dir: string, name: string): Promise<string | undefined> {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  const text = (await readFile(path, 'utf8')).trim();
  return text === '' ? undefined : text;
}

/** `10.88.0.130` → `130.0.88.10.in-addr.arpa` */
function reverseName(v4: string): string {
  return `${v4.split('.').reverse().join('.')}.in-addr.arpa`;
}

// dns-client.ts types the common questions; the client itself asks whatever type it is given.
const PTR = 'PTR' as 'A';

suite.describe('zone name server: systemd-nspawn --network-zone machines', () => {
  let networkd: NetworkdSandbox;

  beforeAll(async () => {
    networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
  });

  afterAll(async () => {
    if (!networkd) return;
    for (const pid of nameServersIn(networkd.netnsPath)) process.kill(pid, 'SIGKILL');
    await networkd.stop();
  });

  it('answers a machine by its name with the addresses it has, PTR too, and stops once it is gone', async () => {
    const sandbox = await createSandbox();
    onTestFinished(() => sandbox.cleanup());
    const stateDir = join(tempRoot, 'dns');
    const conf = zoneConf(stateDir);
    const plugin = (command: 'ADD' | 'DEL', container: Netns, containerId: string, args?: Record<string, string>) =>
      networkd.runPlugin(ZONE, {
        command,
        containerId,
        netns: container.path,
        ifname: 'eth0',
        path: '/usr/lib/cni',
        stdin: conf,
        ...(args && { args }),
        timeoutMs: 45_000,
      });
    // However the test ends: the members leave (the last DEL stops the server), and a server left is killed.
    const members: [Netns, string][] = [];
    sandbox.defer(async () => {
      for (const [container, id] of members.reverse()) await plugin('DEL', container, id);
      for (const pid of nameServersIn(networkd.netnsPath)) process.kill(pid, 'SIGKILL');
    });

    const client = await sandbox.container('client');
    const added = await plugin('ADD', client, `czt-${process.pid}-client`);
    expect(added.exitCode, `ADD failed: ${added.stdout}\n${added.stderr}\n${await networkd.log()}`).toBe(0);
    members.push([client, `czt-${process.pid}-client`]);
    expect(nameServersIn(networkd.netnsPath)).toHaveLength(1);

    const shared = join(tempRoot, 'shared');
    await mkdir(shared);
    const machine = startNspawn(['/bin/busybox', 'sh', '-c', machineScript], {
      root: await nspawnRoot(),
      nsenter: networkd.nsenterOptions,
      networkZone: ZONE_NAME,
      machine: MACHINE,
      ephemeral: true,
      extraArgs: [`--bind=${shared}:/shared`],
    });
    sandbox.defer(() => machine.stop());
    let output = '';
    machine.process.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    machine.process.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const diagnose = async () => `machine output: ${output}\n${(await networkd.exec('ip', ['-br', 'address'], { reject: false })).stdout}`;

    // What the machine has on host0: a lease from networkd's DHCP server, and SLAAC from our RAs.
    const machineIp = await poll('the machine to get a lease from the zone', 45_000, () => sharedFile(shared, 'ip'), diagnose);
    const host = Number(machineIp.split('.')[3]);
    expect(host).toBeGreaterThanOrEqual(pool.offset);
    expect(host).toBeLessThan(pool.offset + pool.size);
    const machineIp6 = await poll('the machine to take a SLAAC address', 45_000, () => sharedFile(shared, 'ip6'), diagnose);
    expect(machineIp6.startsWith(`fd${N}:`)).toBe(true);

    // Within a second or two of the machine having them, the zone's server answers them.
    const v4 = await poll('the name server to answer the machine', 10_000, async () => {
      const [answer] = await ask(client, [{ server: GATEWAY.v4, name: MACHINE_NAME, type: 'A' }]);
      return answer?.answers?.length ? answer : undefined;
    });
    expect(v4).toEqual({ rcode: 'NOERROR', answers: [machineIp] });
    const v6 = await poll('the name server to answer the machine’s SLAAC address', 10_000, async () => {
      const [answer] = await ask(client, [{ server: GATEWAY.v6, name: MACHINE_NAME, type: 'AAAA' }]);
      return answer?.answers?.length ? answer : undefined;
    });
    expect(v6).toEqual({ rcode: 'NOERROR', answers: [machineIp6] });

    const queries = [
      { server: GATEWAY.v4, name: MACHINE_NAME.toUpperCase(), type: 'A' as const },
      { server: GATEWAY.v4, name: reverseName(machineIp), type: PTR },
      { server: GATEWAY.v6, name: `nobody.${ZONE_NAME}.internal`, type: 'A' as const },
    ];
    const expected = [
      { rcode: 'NOERROR', answers: [machineIp] },
      { rcode: 'NOERROR', answers: [MACHINE_NAME] },
      { rcode: 'NXDOMAIN', answers: [] },
    ];
    expect(await ask(client, queries)).toEqual(expected);
    // The zone's host namespace asks the gateway too (systemd-resolved would, for ~<zone>.internal).
    expect(await ask(networkd.host, queries)).toEqual(expected);

    // A container whose pod name is the machine's: that name answers both owners' addresses.
    const twin = await sandbox.container('twin');
    const twinAdded = await plugin('ADD', twin, `czt-${process.pid}-twin`, { IgnoreUnknown: '1', K8S_POD_NAME: MACHINE });
    expect(twinAdded.exitCode, twinAdded.stdout + twinAdded.stderr).toBe(0);
    members.push([twin, `czt-${process.pid}-twin`]);
    const twinIp = ((twinAdded.json as { ips: { address: string }[] }).ips.find((ip) => !ip.address.includes(':'))?.address ?? '').split(
      '/',
    )[0];
    const both = await ask(client, [{ server: GATEWAY.v4, name: MACHINE_NAME, type: 'A' }]);
    expect(both[0]?.rcode).toBe('NOERROR');
    expect([...(both[0]?.answers ?? [])].sort()).toEqual([machineIp, twinIp].sort());
    const twinDel = await plugin('DEL', twin, `czt-${process.pid}-twin`);
    expect(twinDel.exitCode, twinDel.stdout + twinDel.stderr).toBe(0);
    members.pop();

    // zonectl status shows the machine among the zone's members, as the server names it.
    const status = await zonectlStatus(networkd, conf);
    expect(status.machines).toEqual([{ machine: MACHINE, name: MACHINE_NAME, port: `vb-${MACHINE}`, addresses: [machineIp, machineIp6] }]);

    // The machine goes: nspawn removes its port, and its name is unknown again within a bound.
    await machine.stop();
    const gone = await poll('the name server to forget the machine', 10_000, async () => {
      const answers = await ask(client, [
        { server: GATEWAY.v4, name: MACHINE_NAME, type: 'A' },
        { server: GATEWAY.v4, name: reverseName(machineIp), type: PTR },
      ]);
      return answers.every((a) => a.rcode === 'NXDOMAIN') ? answers : undefined;
    });
    expect(gone).toEqual([
      { rcode: 'NXDOMAIN', answers: [] },
      { rcode: 'NXDOMAIN', answers: [] },
    ]);

    // The last member leaves: its DEL stops the server.
    const del = await plugin('DEL', client, `czt-${process.pid}-client`);
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    members.pop();
    expect(nameServersIn(networkd.netnsPath)).toEqual([]);
  }, 180_000);
});

interface ZoneStatus {
  machines?: { machine: string; name?: string; port: string; addresses: string[] }[];
}

/** `zonectl status --json` for the zone, run inside the sandbox as an administrator would on the host. */
async function zonectlStatus(networkd: NetworkdSandbox, conf: object): Promise<ZoneStatus> {
  const confDir = join(tempRoot, 'net.d');
  await mkdir(confDir, { recursive: true });
  await writeFile(join(confDir, `${ZONE_NAME}.conflist`), JSON.stringify(conflistOf(conf)));
  // The multi-call executable takes the role from its first argument when started by its own name.
  const executable = join(ZONE, '..', 'cni-zones');
  const args = [
    'zonectl',
    'status',
    '--json',
    '--conf-dir',
    confDir,
    '--cni-path',
    join(ZONE, '..'),
    '--cache-dir',
    join(tempRoot, 'cache'),
  ];
  const run = await networkd.exec(executable, [...args, ZONE_NAME], { reject: false, timeoutMs: 30_000 });
  const report = JSON.parse(String(run.stdout)) as { zones: ZoneStatus[] };
  expect(report.zones, String(run.stderr)).toHaveLength(1);
  return report.zones[0] as ZoneStatus;
}

function conflistOf(conf: object): object {
  const { cniVersion, name, ...plugin } = conf as { cniVersion: string; name: string };
  return { cniVersion, name, plugins: [plugin] };
}
