// The demo itself, run inside the sandbox: a zone `demo` with two machines, one serving HTTP,
// published on the sandbox host's 127.0.0.1:8080 (nft DNAT) and [::1]:8080 (a proxy, which is
// what `localhost` reaches first on most machines); fetched across the zone by name (the zone's
// name server at the gateway answers demo-web.demo.internal: `zonectl up` gives a machine its
// name, and each machine's resolv.conf names that server) and through both published addresses;
// `zonectl status`; then everything removed again. Each step prints a progress
// line; the summary says what was shown, or where it failed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { familyOf } from '../../../lib/ip/index.js';
import { removeZoneFiles } from '../../../lib/networkd/files.js';
import { reloadNetworkd } from '../../../lib/networkd/networkd.js';
import { machineDown } from '../../../lib/nspawn/down.js';
import { machineNetnsPath } from '../../../lib/nspawn/machine.js';
import type { PortMapping } from '../../../lib/ports/mappings.js';
import type { RuntimePaths } from '../../../lib/nspawn/runtime-paths.js';
import { machineUp } from '../../../lib/nspawn/up.js';
import { Rtnl } from '../../../lib/rtnl/client.js';
import { exampleConfList, renderConfList } from '../example.js';
import type { Io } from '../io.js';
import { readUntil } from '../process.js';
import { bundleDir } from '../self.js';
import { collectStatus } from '../status/collect.js';
import { formatPort, renderStatus } from '../status/render.js';
import { httpGet, waitForTcp } from './checks.js';
import { isolateFileSystems, type Networkd, startNetworkd } from './isolation.js';
import { buildMachineRoot, writeResolvConf } from './machine-root.js';
import { type Machine, machineDriver, type MachineDriver } from './machines.js';
import { ipv4Of, type MachineState, sandboxAddresses } from './machine-state.js';
import { Progress, runStory } from './progress.js';

export const DEMO_ZONE = 'demo';
export const DEMO_PORT = 8080;
/** Inside the sandbox's own /run: gone with it. */
export const WORK_DIR = '/run/cni-zones-demo';
const WEB = 'demo-web';
const CLIENT = 'demo-client';
/** The zone's names: `<machine>.demo.internal` (the zone plugin's default domain). */
export const DEMO_DOMAIN = `${DEMO_ZONE}.internal`;

export interface DemoOptions {
  /** A static busybox (see busybox.ts). */
  busybox: string;
  /** Plain namespaces even where systemd-nspawn is installed. */
  namespacesOnly: boolean;
  /** The netlink backend even where systemd-networkd is installed. */
  netlinkOnly: boolean;
}

/** What the run found out, for the summary. */
interface Findings {
  backend?: string;
  driver?: MachineDriver['kind'];
  machines: MachineState[];
  acrossZone?: string;
  /** The URL the client fetched across the zone. */
  acrossZoneUrl?: string;
  published?: string;
  /** What [::1]:DEMO_PORT gave. */
  publishedOnIpv6?: string;
}

const DONE_MARKER = '--- done ---';

class Demo {
  readonly progress: Progress;
  readonly findings: Findings = { machines: [] };
  readonly paths: RuntimePaths = {
    confDir: join(WORK_DIR, 'net.d'),
    cacheDir: join(WORK_DIR, 'cache'),
    pluginDirs: [bundleDir()],
  };
  networkd: Networkd | undefined;
  driver: MachineDriver | undefined;
  /** The zone's IPv4 gateway, where its name server answers; known from the first `zonectl up`. */
  gateway: string | undefined;

  constructor(
    readonly io: Io,
    readonly options: DemoOptions,
  ) {
    this.progress = new Progress(io);
  }

  async setUp(): Promise<void> {
    const { progress } = this;
    await progress.step(
      'private sandbox: own network, mount and pid namespaces',
      () => isolateFileSystems(WORK_DIR),
      () => 'the host network namespace is out of reach',
    );
    this.networkd = this.options.netlinkOnly
      ? undefined
      : await progress.step(
          'start systemd-networkd in the sandbox',
          () => startNetworkd(WORK_DIR),
          (n) => (n ? 'running, with a private D-Bus' : 'not installed: the zone uses the netlink backend'),
        );
    this.findings.backend = this.networkd ? 'networkd' : 'netlink';
    await progress.step(
      `create zone ${DEMO_ZONE}`,
      () => this.writeNetwork(),
      () => `network ${DEMO_ZONE} in ${this.paths.confDir}, bridge vz-${DEMO_ZONE}, 10.89.0.0/24 and fd89::/64`,
    );
    this.driver = machineDriver(this.options.namespacesOnly);
    if (!this.driver)
      throw new Error('neither systemd-nspawn nor nsenter and chroot are installed (apt-get install systemd-container util-linux)');
    this.findings.driver = this.driver.kind;
  }

  async writeNetwork(): Promise<void> {
    const conflist = exampleConfList({
      network: DEMO_ZONE,
      backend: this.options.netlinkOnly ? 'netlink' : 'auto',
      dataDir: join(WORK_DIR, 'ipam'),
      portsStateDir: join(WORK_DIR, 'ports'),
      dnsStateDir: join(WORK_DIR, 'dns'),
    });
    await mkdir(this.paths.confDir, { recursive: true });
    await writeFile(join(this.paths.confDir, `${DEMO_ZONE}.conflist`), renderConfList(conflist));
  }

  async attachMachine(name: string, page: string, ports: PortMapping[]): Promise<MachineState> {
    const state = await this.newMachine(
      { name, root: join(WORK_DIR, 'machines', name), netns: machineNetnsPath(name) },
      page,
      'zonectl up (CNI)',
    );
    state.ports = ports;
    const outcome = await machineUp({ ...this.paths, machine: name, network: DEMO_ZONE, portMappings: ports });
    state.up = true;
    state.addresses = sandboxAddresses(outcome.result, outcome.netns);
    this.gateway ??= outcome.result.ips?.find((ip) => ip.gateway !== undefined && familyOf(ip.gateway) === 4)?.gateway;
    await this.pointAtNameServer(state);
    return state;
  }

  /** The machine resolves through the zone's name server: its root's resolv.conf names the gateway. */
  async pointAtNameServer(state: MachineState): Promise<void> {
    if (this.gateway === undefined) throw new Error(`no IPv4 gateway of zone ${DEMO_ZONE} for ${state.machine.name}'s resolv.conf`);
    await writeResolvConf(state.machine.root, this.gateway, DEMO_DOMAIN);
  }

  async newMachine(machine: Machine, page: string, joined: string): Promise<MachineState> {
    const state: MachineState = { machine, joined, addresses: [], ports: [], up: false };
    this.findings.machines.push(state);
    await buildMachineRoot(machine.root, this.options.busybox, { page, hostname: machine.name });
    return state;
  }

  /** The second machine over HTTP to the first, by the first's name in the zone. */
  async fetchAcrossZone(url: string): Promise<string> {
    const driver = this.driver as MachineDriver;
    // With networkd and nspawn, the client is an nspawn machine of the zone in nspawn's own
    // way (--network-zone, DHCP from the pool networkd serves): both kinds share one bridge.
    if (this.networkd && driver.kind === 'systemd-nspawn machines') return this.nativeClientFetch(url);
    const client = await this.progress.step(
      `zonectl up ${CLIENT} --network ${DEMO_ZONE}`,
      () => this.attachMachine(CLIENT, `hello from ${CLIENT}`, []),
      (s) => s.addresses.join(', '),
    );
    return this.progress.step(
      `${CLIENT} fetches ${url} across the zone, by name through the zone's name server`,
      async () => {
        const result = await driver.run(client.machine, ['wget', '-q', '-O', '-', url], 30_000);
        if (result.exitCode !== 0)
          throw new Error(`wget exited with ${result.exitCode ?? result.signal}: ${(result.stderr || result.stdout).trim()}`);
        return result.stdout.trim();
      },
      (body) => `"${body}"`,
    );
  }

  /**
   * The client stays up after its fetch (so `zonectl status` shows it on the bridge) and reports
   * through stdout: its DHCP address, the page, then a marker line.
   */
  async nativeClientFetch(url: string): Promise<string> {
    const driver = this.driver as MachineDriver;
    const state = await this.newMachine(
      { name: CLIENT, root: join(WORK_DIR, 'machines', CLIENT), zone: DEMO_ZONE },
      `hello from ${CLIENT}`,
      `systemd-nspawn --network-zone=${DEMO_ZONE}, DHCP from networkd`,
    );
    await this.pointAtNameServer(state);
    const script = [
      'udhcpc -i host0 -s /etc/udhcpc/default.script -q -n -t 10 -T 1 >/dev/null 2>&1 || { echo "no DHCP lease on host0" >&2; exit 3; }',
      'echo "address $(ip -4 -o addr show dev host0 | awk \'{print $4}\')"',
      `wget -q -O - ${url} || exit 4`,
      `echo ${DONE_MARKER}`,
      'exec sleep 3600',
    ].join('\n');
    return this.progress.step(
      `start ${CLIENT} with systemd-nspawn --network-zone=${DEMO_ZONE}: DHCP lease from networkd, then fetch ${url}`,
      async () => {
        state.process = driver.start(state.machine, ['sh', '-c', script], true);
        const output = await readUntil(state.process, DONE_MARKER, 45_000);
        const [first = '', ...body] = output.trim().split('\n');
        state.addresses = [first.replace(/^address /, '')];
        return body.join('\n').trim();
      },
      (body) => `${CLIENT} got ${state.addresses.join(', ')} and "${body}"`,
    );
  }

  async run(): Promise<void> {
    const { progress } = this;
    const driver = this.driver as MachineDriver;
    const published: PortMapping = { hostPort: DEMO_PORT, containerPort: 80, protocol: 'tcp' };
    const web = await progress.step(
      `zonectl up ${WEB} --network ${DEMO_ZONE} --port ${DEMO_PORT}:80`,
      () => this.attachMachine(WEB, `hello from ${WEB}, a machine in zone ${DEMO_ZONE}`, [published]),
      (s) => `${s.addresses.join(', ')} in ${s.machine.netns}`,
    );
    await progress.step(
      `start ${WEB} as ${driver.noun}, serving HTTP on port 80`,
      async () => {
        web.process = driver.start(web.machine, ['httpd', '-f', '-p', '80', '-h', driver.path(web.machine, '/www')]);
        await Promise.race([
          waitForTcp(ipv4Of(web), 80, 15_000),
          web.process.exited.then((code) => Promise.reject(new Error(`${WEB} exited (${code})`))),
        ]);
      },
      () => `answers on ${ipv4Of(web)}:80`,
    );
    const byName = `http://${WEB}.${DEMO_DOMAIN}/`;
    this.findings.acrossZoneUrl = byName;
    this.findings.acrossZone = await this.fetchAcrossZone(byName);
    const local = `http://127.0.0.1:${DEMO_PORT}/`;
    this.findings.published = await progress.step(
      `fetch ${local} on the sandbox host (published port)`,
      async () => {
        try {
          return (await httpGet(local, 5_000)).trim();
        } catch (e) {
          throw new Error(`${(e as Error).message} (port publishing is the zone plugin's portMappings capability)`);
        }
      },
      (body) => `"${body}"`,
    );
    const local6 = `http://[::1]:${DEMO_PORT}/`;
    this.findings.publishedOnIpv6 = await progress.step(
      `fetch ${local6} on the sandbox host (published port, served by systemd-socket-proxyd)`,
      async () => {
        try {
          return (await httpGet(local6, 5_000)).trim();
        } catch (e) {
          throw new Error(
            `${(e as Error).message} ([::1] is served by a proxy of the port publishing: is systemd-socket-proxyd installed?)`,
          );
        }
      },
      (body) => `"${body}"`,
    );
    const report = await progress.step(
      'zonectl status',
      () => collectStatus({ ...this.paths }),
      (r) => (r.healthy ? 'healthy' : 'UNHEALTHY'),
    );
    this.io.out(`\n${renderStatus(report, { colour: this.io.tty })}`);
    if (!report.healthy) throw new Error('zonectl status reports problems');
  }

  /** Everything in reverse, each step on its own: one failure does not stop the rest. */
  async tearDown(): Promise<string[]> {
    const failures: string[] = [];
    const attempt = (title: string, fn: () => Promise<unknown>) => this.progress.attempt(failures, title, fn);
    const running = this.findings.machines.filter((m) => m.process);
    if (running.length)
      await attempt(`stop ${running.map((m) => m.machine.name).join(', ')}`, () => Promise.all(running.map((m) => m.process?.stop())));
    for (const state of [...this.findings.machines].reverse().filter((m) => m.up)) {
      await attempt(`zonectl down ${state.machine.name}`, async () => {
        const outcome = await machineDown({ ...this.paths, machine: state.machine.name });
        if (outcome.failures.length) throw outcome.failures[0];
      });
    }
    await attempt(`remove zone ${DEMO_ZONE}`, () => this.removeZone());
    if (this.networkd) await attempt('stop systemd-networkd', () => (this.networkd as Networkd).stop());
    return failures;
  }

  async removeZone(): Promise<void> {
    if (this.networkd) {
      await removeZoneFiles(DEMO_ZONE);
      await reloadNetworkd();
    }
    const rt = await Rtnl.open();
    try {
      await rt.deleteLinkIfExists(`vz-${DEMO_ZONE}`);
    } finally {
      rt.close();
    }
  }

  summary(failure: Error | undefined, cleanupFailures: readonly string[]): string {
    const f = this.findings;
    const lines = [''];
    lines.push(failure || cleanupFailures.length ? 'Summary: the demo FAILED' : 'Summary: the demo passed');
    if (f.backend) lines.push(`  zone ${DEMO_ZONE}: bridge vz-${DEMO_ZONE}, backend ${f.backend}, ${f.driver ?? 'no machines'}`);
    for (const m of f.machines) {
      const ports = m.ports.map(formatPort).join(', ');
      lines.push(
        `  ${m.machine.name.padEnd(12)} ${m.addresses.join(', ') || '(no addresses)'}${ports ? `, published ${ports}` : ''}; joined by ${m.joined}`,
      );
    }
    if (f.acrossZone) lines.push(`  across the zone:     ${CLIENT} got "${f.acrossZone}" from ${f.acrossZoneUrl}`);
    if (f.published) lines.push(`  published port:      127.0.0.1:${DEMO_PORT} gave "${f.published}"`);
    if (f.publishedOnIpv6) lines.push(`  published on [::1]:  [::1]:${DEMO_PORT} gave "${f.publishedOnIpv6}"`);
    if (failure) lines.push(`  failed: ${failure.message}`);
    for (const c of cleanupFailures) lines.push(`  cleanup failed: ${c}`);
    lines.push("  all of it ran in a private sandbox, which ends now; the host's network was not touched");
    return `${lines.join('\n')}\n`;
  }
}

export function runDemo(io: Io, options: DemoOptions): Promise<number> {
  return runStory(io, new Demo(io, options));
}
