// lib/networkd against a real systemd-networkd 252 in a sandbox (own net, mount and pid
// namespace, private /run and D-Bus, the vendor .network files in place). The library runs
// inside the sandbox the way a plugin would: a small driver, bundled from the sources at
// test time, executed with nsenter in the sandbox's namespaces.

import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import type { FilesOutcome } from '../../lib/networkd/files.js';
import type { LinkState } from '../../lib/networkd/link-state.js';
import type { Detection } from '../../lib/networkd/networkd.js';
import type { ZoneNetwork } from '../../lib/networkd/zone-files.js';
import { createNetns, createVethPair, ipIn, nsExec, removeNetns } from '../support/netns.js';
import { type NetworkdSandbox, startNetworkdSandbox } from '../support/networkd-sandbox.js';
import { complaintsAbout, formatNetworkctlAddress, networkctlList, networkctlStatus } from '../support/networkctl.js';
import { makeTestTempDir, repoRoot } from '../support/paths.js';
import { poll } from '../support/poll.js';
import { privileged } from '../support/privileges.js';

const tools = ['ip', 'nsenter', 'unshare', 'setpriv', 'systemd-networkd', 'networkctl', 'dbus-daemon', 'busctl', 'nft', 'busybox'];
const suite = privileged(tools);
const vendorZoneFile = '/usr/lib/systemd/network/80-container-vz.network';
const runtimeDir = '/run/systemd/network';

// ---- the driver: lib/networkd as a plugin would use it, one process per request ----

const driverSource = `
import { spawnSync } from 'node:child_process';
import { removeZoneFiles, writeZoneFiles } from './lib/networkd/files.js';
import { detectNetworkd, reloadNetworkd, waitForLink } from './lib/networkd/networkd.js';
import { bridgeName, zoneFileNames } from './lib/networkd/zone-files.js';

const since = (t) => performance.now() - t;

function spawnMs(command, args) {
  const t = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(command + ' failed: ' + result.stderr);
  return since(t);
}

async function handle(request) {
  switch (request.action) {
    case 'detect': {
      const t = performance.now();
      const detection = await detectNetworkd();
      return { ...detection, ms: since(t), sinceStartMs: performance.now() };
    }
    case 'compare-detection': {
      const t = performance.now();
      const detection = await detectNetworkd();
      const libMs = since(t);
      const busctlMs = spawnMs('busctl', ['call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameHasOwner', 's', 'org.freedesktop.network1']);
      const networkctlMs = spawnMs('networkctl', ['list', '--no-legend']);
      return { presence: detection.presence, libMs, busctlMs, networkctlMs };
    }
    case 'apply': {
      const dir = request.dir ?? '${runtimeDir}';
      const bridge = bridgeName(request.zone.zone);
      const t0 = performance.now();
      const files = await writeZoneFiles(request.zone, dir);
      const t1 = performance.now();
      if (files.changed) await reloadNetworkd();
      const t2 = performance.now();
      const state = await waitForLink(bridge, { networkFile: dir + '/' + zoneFileNames(request.zone.zone).network, timeoutMs: request.timeoutMs });
      const t3 = performance.now();
      // The state file may still say "configured" from before the reload (seen under load), so,
      // like the zone plugin, wait until the addresses are there; count the stale first reads.
      const readAddresses = () =>
        JSON.parse(spawnSync('ip', ['-j', 'address', 'show', 'dev', bridge], { encoding: 'utf8' }).stdout)[0].addr_info
          .filter((a) => a.scope === 'global')
          .map((a) => a.local + '/' + a.prefixlen);
      const wanted = request.zone.gateways;
      let addresses = readAddresses();
      const staleFirstRead = !wanted.every((g) => addresses.includes(g));
      for (let i = 0; i < 500 && !wanted.every((g) => addresses.includes(g)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        addresses = readAddresses();
      }
      return { files, state, addresses, staleFirstRead, writeMs: t1 - t0, reloadMs: t2 - t1, waitMs: t3 - t2 };
    }
    case 'reload':
      await reloadNetworkd();
      return null;
    case 'wait': {
      const t = performance.now();
      try {
        return await waitForLink(request.ifname, { networkFile: request.networkFile, timeoutMs: request.timeoutMs });
      } finally {
        process.stderr.write('waited ' + since(t) + ' ms\\n');
      }
    }
    case 'write':
      return writeZoneFiles(request.zone, request.dir ?? '${runtimeDir}');
    case 'remove':
      return removeZoneFiles(request.zone, request.dir ?? '${runtimeDir}');
    default:
      throw new Error('unknown action ' + request.action);
  }
}

handle(JSON.parse(process.argv[2])).then(
  (value) => process.stdout.write(JSON.stringify({ ok: true, value })),
  (e) => process.stdout.write(JSON.stringify({ ok: false, error: { name: e.name, code: e.code, message: e.message, details: e.details } })),
);
`;

interface DriverError {
  name: string;
  code?: number;
  message: string;
  details?: string;
}

type DriverReply<T> = { ok: true; value: T } | { ok: false; error: DriverError };

interface Applied {
  files: FilesOutcome;
  state: LinkState;
  addresses: string[];
  staleFirstRead: boolean;
  writeMs: number;
  reloadMs: number;
  waitMs: number;
}

let driverDir: string | undefined;
let driverPath: string;

async function buildDriver(): Promise<void> {
  // Not `networkd-*`: test support treats such directories without an owner pid as leftovers.
  driverDir = makeTestTempDir('driver-for-networkd');
  driverPath = join(driverDir, 'driver.cjs');
  await build({
    stdin: { contents: driverSource, resolveDir: repoRoot, sourcefile: 'networkd-driver.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: driverPath,
    logLevel: 'warning',
  });
}

async function drive<T>(sandbox: NetworkdSandbox, request: object): Promise<DriverReply<T>> {
  // No NODE_EXTRA_CA_CERTS: a runtime does not set it, and it costs every node start 40-70 ms.
  const result = await sandbox.exec('env', ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, driverPath, JSON.stringify(request)], {
    reject: false,
  });
  if (typeof result.stdout !== 'string' || !result.stdout.startsWith('{')) {
    throw new Error(`driver failed (exit ${result.exitCode}): ${String(result.stderr)}`);
  }
  return JSON.parse(result.stdout) as DriverReply<T>;
}

async function driveOk<T>(sandbox: NetworkdSandbox, request: object): Promise<T> {
  const reply = await drive<T>(sandbox, request);
  if (!reply.ok) throw new Error(`driver ${JSON.stringify(request)} failed: ${JSON.stringify(reply.error)}\n${await sandbox.log()}`);
  return reply.value;
}

async function driveError(sandbox: NetworkdSandbox, request: object): Promise<DriverError> {
  const reply = await drive<unknown>(sandbox, request);
  if (reply.ok) throw new Error(`driver ${JSON.stringify(request)} succeeded: ${JSON.stringify(reply.value)}`);
  return reply.error;
}

// ---- what networkd itself says ----

async function nftSetElements(sandbox: NetworkdSandbox, family: 'ip' | 'ip6'): Promise<string[]> {
  const { stdout } = await sandbox.exec('nft', ['-j', 'list', 'set', family, 'io.systemd.nat', 'masq_saddr']);
  const set = (JSON.parse(String(stdout)) as { nftables: { set?: { elem?: unknown[] } }[] }).nftables.find((entry) => entry.set)?.set;
  return (set?.elem ?? []).map((elem) => {
    const prefix = (elem as { prefix?: { addr: string; len: number } }).prefix;
    return prefix ? `${prefix.addr}/${prefix.len}` : String(elem);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

const web: ZoneNetwork = {
  zone: 'web',
  gateways: ['10.89.0.1/24', 'fd89::1/64'],
  ipMasquerade: true,
  dhcpPool: { offset: 128, size: 100 },
};

beforeAll(async () => {
  if (suite.canRun) await buildDriver();
});

afterAll(async () => {
  if (driverDir) await rm(driverDir, { recursive: true, force: true });
});

suite.describe('lib/networkd with systemd-networkd (vendor files in place)', () => {
  let networkd: NetworkdSandbox;

  beforeAll(async () => {
    networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: false });
  });

  afterAll(async () => {
    await networkd?.stop();
  });

  it('detects the running networkd from inside its namespaces, cheaper than spawning busctl or networkctl', async () => {
    const detection = await driveOk<Detection & { ms: number }>(networkd, { action: 'detect' });
    expect(detection.presence).toBe('running');
    const runs: { libMs: number; busctlMs: number; networkctlMs: number }[] = [];
    for (let i = 0; i < 5; i++) runs.push(await driveOk(networkd, { action: 'compare-detection' }));
    const lib = median(runs.map((r) => r.libMs));
    const busctl = median(runs.map((r) => r.busctlMs));
    const networkctl = median(runs.map((r) => r.networkctlMs));
    console.info(
      `[networkd e2e] detection, first call in a fresh process (median of 5): lib ${round(lib)} ms, spawn busctl ${round(busctl)} ms, spawn networkctl list ${round(networkctl)} ms`,
    );
  });

  it('configures the zone bridge from our files, not from the vendor 80-container-vz.network', async () => {
    expect(await networkd.exec('cat', [vendorZoneFile]).then((r) => String(r.stdout))).toContain('Name=vz-*');
    const applied = await driveOk<Applied>(networkd, { action: 'apply', zone: web });
    expect(applied.files).toEqual({ changed: true, files: ['70-cni-zones-web.netdev', '70-cni-zones-web.network'] });
    expect(applied.state).toMatchObject({ adminState: 'configured', networkFile: `${runtimeDir}/70-cni-zones-web.network` });
    expect(applied.addresses).toEqual(expect.arrayContaining(['10.89.0.1/24', 'fd89::1/64']));

    const status = await networkctlStatus(networkd, 'vz-web');
    expect(status.Kind).toBe('bridge');
    expect(status.AdministrativeState).toBe('configured');
    expect(status.NetworkFile).toBe(`${runtimeDir}/70-cni-zones-web.network`);
    const staticAddresses = (status.Addresses ?? []).filter((a) => a.ConfigSource === 'static').map(formatNetworkctlAddress);
    expect(staticAddresses.sort()).toEqual(['10.89.0.1/24', 'fd89::1/64']);

    const listed = (await networkctlList(networkd)).find((link) => link.Name === 'vz-web');
    expect(listed).toMatchObject({ AdministrativeState: 'configured', NetworkFile: `${runtimeDir}/70-cni-zones-web.network` });

    // IPMasquerade=both: networkd put the zone's subnets into its own nat table.
    expect(await nftSetElements(networkd, 'ip')).toContain('10.89.0.0/24');
    expect(await nftSetElements(networkd, 'ip6')).toContain('fd89::/64');
    // DHCPServer=yes is proven below, by a lease from the pool.
  });

  it('writes files networkd reads without a single complaint (and a broken file would be noticed)', async () => {
    await driveOk(networkd, { action: 'apply', zone: { zone: 'four', gateways: ['10.91.0.1/24'], ipMasquerade: true, mtu: 1400 } });
    await writeFile(join(networkd.runtimeNetworkPath, '70-cni-zones-bad.network'), '[Match]\nName=vz-bad\n[Network]\nNoSuchKey=1\n');
    onTestFinished(() => rm(join(networkd.runtimeNetworkPath, '70-cni-zones-bad.network'), { force: true }));
    await driveOk(networkd, { action: 'reload' });

    for (const name of ['web', 'four'].flatMap((z) => [`70-cni-zones-${z}.netdev`, `70-cni-zones-${z}.network`])) {
      expect(await complaintsAbout(networkd, name), name).toEqual([]);
    }
    // The control: the same check finds networkd's complaint about a file with an unknown key.
    expect(await complaintsAbout(networkd, '70-cni-zones-bad.network')).toEqual([
      expect.stringContaining("Unknown key 'NoSuchKey' in section [Network]"),
    ]);

    const four = await networkctlStatus(networkd, 'vz-four');
    expect(four).toMatchObject({ AdministrativeState: 'configured', MTU: 1400, NetworkFile: `${runtimeDir}/70-cni-zones-four.network` });
    // IPv4 only: no IPv6 link-local address on the bridge (LinkLocalAddressing=no).
    const { stdout } = await networkd.exec('ip', ['-j', '-6', 'address', 'show', 'dev', 'vz-four']);
    expect(JSON.parse(String(stdout))).toEqual([]);
  });

  it('loses to the vendor 80-container-vz.network when the same .network sorts after it', async () => {
    const late: ZoneNetwork = { zone: 'late', gateways: ['10.92.0.1/24'], ipMasquerade: false };
    await driveOk<FilesOutcome>(networkd, { action: 'write', zone: late });
    await rename(
      join(networkd.runtimeNetworkPath, '70-cni-zones-late.network'),
      join(networkd.runtimeNetworkPath, '90-cni-zones-late.network'),
    );
    onTestFinished(() => rm(join(networkd.runtimeNetworkPath, '90-cni-zones-late.network'), { force: true }));
    await driveOk(networkd, { action: 'reload' });
    const status = await poll('vz-late to get a .network file', 5000, async () => {
      const link = await networkctlStatus(networkd, 'vz-late').catch(() => undefined);
      return link?.NetworkFile ? link : undefined;
    });
    expect(status.NetworkFile).toBe(vendorZoneFile);
    const ours = await drive(networkd, {
      action: 'wait',
      ifname: 'vz-late',
      networkFile: `${runtimeDir}/90-cni-zones-late.network`,
      timeoutMs: 300,
    });
    expect(ours).toMatchObject({ ok: false, error: { code: 11 } });
  });

  it('serves a machine on the zone: a DHCPv4 lease from the pool and an IPv6 address by SLAAC', async () => {
    const machine = await createNetns('machine');
    onTestFinished(() => removeNetns(machine));
    const veth = await createVethPair(networkd.host, machine);
    await ipIn(networkd.host, 'link', 'set', veth.a.ifname, 'master', 'vz-web');

    const dhcp = await nsExec(machine, 'busybox', [
      'udhcpc',
      '-i',
      veth.b.ifname,
      '-n',
      '-q',
      '-f',
      '-s',
      '/bin/true',
      '-t',
      '5',
      '-T',
      '1',
    ]);
    const lease = /lease of (\d+\.\d+\.\d+\.\d+) obtained from 10\.89\.0\.1/.exec(`${dhcp.stdout}\n${dhcp.stderr}`);
    expect(lease, `${dhcp.stdout}\n${dhcp.stderr}`).not.toBeNull();
    const host = Number(lease?.[1]?.split('.')[3]);
    expect(host).toBeGreaterThanOrEqual(128);
    expect(host).toBeLessThan(228);

    const slaac = await poll('a SLAAC address from fd89::/64', 15_000, async () => {
      const { stdout } = await ipIn(machine, '-j', '-6', 'address', 'show', 'dev', veth.b.ifname, 'scope', 'global');
      const infos = (JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info);
      return infos.find((a) => a.local.startsWith('fd89:') && a.prefixlen === 64);
    });
    expect(slaac.local).toMatch(/^fd89::/);

    // The bridge stays configured from our file now that it has a port and carrier.
    expect(await networkctlStatus(networkd, 'vz-web')).toMatchObject({
      AdministrativeState: 'configured',
      NetworkFile: `${runtimeDir}/70-cni-zones-web.network`,
    });
  });

  it('reload → configured: new zones within a few ms, and a changed zone carries its new addresses', async () => {
    const fresh: Applied[] = [];
    for (let i = 0; i < 5; i++) {
      fresh.push(
        await driveOk<Applied>(networkd, {
          action: 'apply',
          zone: { zone: `t${i}`, gateways: [`10.93.${i}.1/24`, `fd93:${i}::1/64`], ipMasquerade: true },
        }),
      );
    }
    const changed: Applied[] = [];
    for (let i = 0; i < 8; i++) {
      const gateway = `10.94.${i}.1/24`;
      const applied = await driveOk<Applied>(networkd, {
        action: 'apply',
        zone: { zone: 'flip', gateways: [gateway], ipMasquerade: false },
      });
      expect(applied.addresses).toEqual([gateway]);
      changed.push(applied);
    }
    const unchanged = await driveOk<Applied>(networkd, {
      action: 'apply',
      zone: { zone: 'flip', gateways: ['10.94.7.1/24'], ipMasquerade: false },
    });
    expect(unchanged.files.changed).toBe(false);

    const summary = (runs: Applied[]) =>
      `write ${round(median(runs.map((r) => r.writeMs)))} ms, reload ${round(median(runs.map((r) => r.reloadMs)))} ms, ` +
      `wait ${round(median(runs.map((r) => r.waitMs)))} ms`;
    console.info(`[networkd e2e] new zone (median of 5): ${summary(fresh)}`);
    console.info(`[networkd e2e] changed zone (median of 8): ${summary(changed)}; unchanged: wait ${round(unchanged.waitMs)} ms`);
    console.info(
      `[networkd e2e] changed zone: ${changed.filter((r) => r.staleFirstRead).length} of 8 first reads still showed the old address`,
    );
  });

  it('removes a zone: the files go, and after a reload networkd lets go of the bridge', async () => {
    await driveOk(networkd, { action: 'apply', zone: { zone: 'gone', gateways: ['10.95.0.1/24'], ipMasquerade: false } });
    expect(await driveOk<FilesOutcome>(networkd, { action: 'remove', zone: 'gone' })).toEqual({
      changed: true,
      files: ['70-cni-zones-gone.network', '70-cni-zones-gone.netdev'],
    });
    await driveOk(networkd, { action: 'reload' });
    // networkd does not delete netdevs; the bridge is left to the vendor file or the caller.
    const status = await poll('vz-gone to leave our .network', 5000, async () => {
      const link = await networkctlStatus(networkd, 'vz-gone');
      return link.NetworkFile !== `${runtimeDir}/70-cni-zones-gone.network` ? link : undefined;
    });
    expect(status.NetworkFile ?? 'none').not.toContain('70-cni-zones');
  });
});

suite.describe('lib/networkd when networkd stops', () => {
  let networkd: NetworkdSandbox;

  beforeAll(async () => {
    networkd = await startNetworkdSandbox({ hideVendorNetworkFiles: true });
  });

  afterAll(async () => {
    await networkd?.stop();
  });

  async function stopNetworkdProcess(): Promise<void> {
    // The sandbox's init started networkd; find that child by its name and stop it by pid.
    const children = (await readFile(`/proc/${networkd.pid}/task/${networkd.pid}/children`, 'utf8')).trim().split(' ').map(Number);
    const comms = await Promise.all(children.map((pid) => readFile(`/proc/${pid}/comm`, 'utf8').then((c) => [pid, c.trim()] as const)));
    const pid = comms.find(([, comm]) => comm === 'systemd-network')?.[0];
    expect(pid, 'networkd process in the sandbox').toBeDefined();
    process.kill(pid as number, 'SIGTERM');
    await poll('networkd to exit', 5000, async () => {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        return / [ZX] /.test(stat.slice(stat.lastIndexOf(')'))) ? true : undefined;
      } catch {
        return true;
      }
    });
  }

  it('detects the stop, and reload and waitForLink fail with code 11 (try again later)', async () => {
    await driveOk(networkd, { action: 'apply', zone: { zone: 'keep', gateways: ['10.96.0.1/24'], ipMasquerade: false } });
    await stopNetworkdProcess();

    const detection = await driveOk<Detection>(networkd, { action: 'detect' });
    expect(detection).toMatchObject({ presence: 'absent', reason: 'org.freedesktop.network1 is not on the system bus (networkd stopped)' });

    const reload = await driveError(networkd, { action: 'reload' });
    expect(reload).toMatchObject({ name: 'CniError', code: 11, message: 'systemd-networkd did not reload its configuration' });

    await driveOk(networkd, { action: 'write', zone: { zone: 'late', gateways: ['10.97.0.1/24'], ipMasquerade: false } });
    const started = performance.now();
    const wait = await driveError(networkd, {
      action: 'wait',
      ifname: 'vz-late',
      networkFile: `${runtimeDir}/70-cni-zones-late.network`,
      timeoutMs: 300,
    });
    expect(wait).toMatchObject({
      code: 11,
      message: 'systemd-networkd did not configure vz-late within 300 ms',
      details: 'vz-late: no such link or no networkd state for it',
    });
    expect(performance.now() - started).toBeLessThan(5000);

    // networkd removes a link's state file when it exits, so an old "configured" cannot
    // fool waitForLink; what it configured stays on the bridge.
    const kept = await driveError(networkd, { action: 'wait', ifname: 'vz-keep', timeoutMs: 300 });
    expect(kept).toMatchObject({ code: 11, details: 'vz-keep: no such link or no networkd state for it' });
    const { stdout } = await networkd.exec('ip', ['-j', '-4', 'address', 'show', 'dev', 'vz-keep']);
    expect(JSON.parse(String(stdout))[0].addr_info.map((a: { local: string }) => a.local)).toEqual(['10.96.0.1']);
  });
});
