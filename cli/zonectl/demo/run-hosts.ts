// `zonectl demo --hosts 2`, run inside the sandbox: zone `demo` spanning two hosts over VXLAN
// (hosts.ts: two network namespaces joined by a veth underlay, each with its own state). Host 2
// has demo-web serving a page, host 1 has demo-client; both joined with `zonectl up` run on
// their host. It shows each host's VXLAN port and its peers, the zone's MTU (the underlay's less
// VXLAN's 50), demo-client fetching the page from the other host by address, and what names do:
// each host's name server knows only its own host's members, so demo-web.demo.internal answers on
// host 2 and is unknown on host 1 — the demo says so rather than pretend. The backend is netlink:
// networkd would need a /run and a D-Bus per host, and the demo's hosts share the sandbox's.
// Then everything is taken down step by step and each host is read back: no link of the zone,
// no rule or set element of it in nftables, no process left running. Ctrl-C ends the sandbox, and with it all.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '../../../lib/cni/types.js';
import { namedNetnsExists } from '../../../lib/netns/named.js';
import { machineNetnsPath } from '../../../lib/nspawn/machine.js';
import { isRunning, readProc } from '../../../lib/system/proc.js';
import type { Io } from '../io.js';
import {
  createHosts,
  type DemoHost,
  demoHost,
  leftoversOn,
  readMtus,
  readVxlanPort,
  removeHosts,
  runInHost,
  runtimeArgsOf,
  UNDERLAY_LINK,
  UNDERLAY_MTU,
  type VxlanPort,
  vxlanOf,
  writeHostNetwork,
  zonectlOn,
} from './hosts.js';
import { isolateFileSystems } from './isolation.js';
import { buildMachineRoot, writeResolvConf } from './machine-root.js';
import { ipv4Of, type MachineState, sandboxAddresses } from './machine-state.js';
import { machineDriver, type MachineDriver } from './machines.js';
import { Progress, runStory } from './progress.js';
import { DEMO_DOMAIN, DEMO_ZONE, WORK_DIR } from './run.js';

const WEB = 'demo-web';
const CLIENT = 'demo-client';
/** The underlay's MTU less VXLAN's 50 bytes (outer IPv4, UDP, VXLAN and Ethernet headers). */
const ZONE_MTU = UNDERLAY_MTU - 50;
const WEB_READY_MS = 15_000;

export interface HostsDemoOptions {
  busybox: string;
  namespacesOnly: boolean;
}

interface HostMachine {
  state: MachineState;
  host: DemoHost;
}

/** What the run found out, for the summary. */
interface Findings {
  driver?: MachineDriver['kind'];
  machines: HostMachine[];
  ports: VxlanPort[];
  mtu?: string;
  acrossHosts?: string;
  acrossHostsUrl?: string;
  nameOnItsHost?: string;
  nameOnOtherHost?: string;
  leftBehind?: string;
}

function describeHostZone(host: DemoHost, all: readonly DemoHost[]): string {
  const { vni, local, peers } = vxlanOf(host, all);
  const [[start4, end4]] = host.ranges;
  return `VNI ${vni}, local ${local}, peers ${peers.join(', ')}; range ${start4}-${end4}, gateway ${host.gateways[0]}; backend netlink`;
}

function describePort(host: DemoHost, port: VxlanPort): string {
  return `${host.label}: ${port.name} VNI ${port.vni} from ${port.local ?? '?'} port ${port.port}, floods to ${port.floods.join(', ') || 'nobody'}`;
}

/** The addresses in busybox nslookup's answer (the lines after the server's own). */
function answeredAddresses(output: string): string[] {
  const answer = output.slice(output.indexOf('\n\n') + 1);
  return [...answer.matchAll(/^Address(?: \d+)?:\s+(\S+)$/gm)].map((m) => m[1] ?? '');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Processes still running in the sandbox's pid namespace besides the demo itself (PID 1). */
function otherProcesses(): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid && isRunning(Number(name)))
    .map((pid) => `${pid} ${(readProc(`/proc/${pid}/comm`) ?? '?').trim()}`);
}

class HostsDemo {
  readonly progress: Progress;
  readonly findings: Findings = { machines: [], ports: [] };
  readonly hosts: [DemoHost, DemoHost] = [demoHost(1, WORK_DIR), demoHost(2, WORK_DIR)];
  driver: MachineDriver | undefined;

  constructor(
    readonly io: Io,
    readonly options: HostsDemoOptions,
  ) {
    this.progress = new Progress(io);
  }

  async setUp(): Promise<void> {
    const { progress, hosts } = this;
    await progress.step(
      'private sandbox: own network, mount and pid namespaces',
      () => isolateFileSystems(WORK_DIR),
      () => 'the host network namespace is out of reach',
    );
    await progress.step(
      `two hosts: network namespaces ${hosts.map((h) => h.name).join(' and ')}, joined by a veth underlay`,
      () => createHosts(hosts),
      () => `${UNDERLAY_LINK}: ${hosts.map((h) => `${h.underlay}/24 on ${h.label}`).join(', ')}, MTU ${UNDERLAY_MTU}`,
    );
    for (const host of hosts) {
      await progress.step(
        `${host.label}: network ${DEMO_ZONE} in ${host.paths.confDir}, zone ${DEMO_ZONE} with "vxlan" ${JSON.stringify(vxlanOf(host, hosts))}`,
        () => writeHostNetwork(host, hosts, DEMO_ZONE),
        () => describeHostZone(host, hosts),
      );
    }
    this.driver = machineDriver(this.options.namespacesOnly);
    if (!this.driver)
      throw new Error('neither systemd-nspawn nor nsenter and chroot are installed (apt-get install systemd-container util-linux)');
    this.findings.driver = this.driver.kind;
  }

  /** `zonectl up NAME` run on `host`; the machine's resolver is its own host's name server. */
  async attach(host: DemoHost, name: string, page: string): Promise<MachineState> {
    const machine = { name, root: join(WORK_DIR, 'machines', name), netns: machineNetnsPath(name) };
    const state: MachineState = { machine, joined: `zonectl up on ${host.label}`, addresses: [], ports: [], up: false };
    this.findings.machines.push({ state, host });
    await buildMachineRoot(machine.root, this.options.busybox, { page, hostname: name });
    const out = await zonectlOn(host, ['up', name, '--network', DEMO_ZONE, '--json', ...runtimeArgsOf(host)]);
    state.up = true;
    const { netns, result } = JSON.parse(out) as { netns: string; result: Result };
    state.addresses = sandboxAddresses(result, netns);
    await writeResolvConf(machine.root, host.gateways[0], DEMO_DOMAIN);
    return state;
  }

  /**
   * Until `url` answers on `host` (as the host sees its member), or the member ends. No `wget -T`:
   * busybox 1.35's wget crashes (SIGSEGV) with it; the probe's own timeout bounds it instead.
   */
  async waitForPage(host: DemoHost, url: string, web: MachineState): Promise<void> {
    let ended = false;
    void web.process?.exited.then(() => (ended = true));
    const deadline = performance.now() + WEB_READY_MS;
    for (;;) {
      const probe = await runInHost(host, this.options.busybox, ['wget', '-q', '-O', '/dev/null', url], 5_000);
      if (probe.exitCode === 0) return;
      if (ended) throw new Error(`${web.machine.name} ended before it answered`);
      if (performance.now() > deadline) {
        const said = (probe.stderr || probe.stdout).trim() || `exit ${probe.exitCode ?? probe.signal}`;
        throw new Error(`${url} does not answer on ${host.label} after ${WEB_READY_MS} ms: ${said}`);
      }
      await sleep(100);
    }
  }

  async run(): Promise<void> {
    const { progress, hosts } = this;
    const [one, two] = hosts;
    const driver = this.driver as MachineDriver;
    const web = await progress.step(
      `${two.label}: zonectl up ${WEB} --network ${DEMO_ZONE}`,
      () => this.attach(two, WEB, `hello from ${WEB} on ${two.label}, zone ${DEMO_ZONE}`),
      (s) => `${s.addresses.join(', ')} in ${s.machine.netns}`,
    );
    const url = `http://${ipv4Of(web)}/`;
    await progress.step(
      `${two.label}: start ${WEB} as ${driver.noun}, serving HTTP on port 80`,
      async () => {
        web.process = driver.start(web.machine, ['httpd', '-f', '-p', '80', '-h', driver.path(web.machine, '/www')]);
        await this.waitForPage(two, url, web);
      },
      () => `answers on ${ipv4Of(web)}:80 (asked on ${two.label})`,
    );
    const client = await progress.step(
      `${one.label}: zonectl up ${CLIENT} --network ${DEMO_ZONE}`,
      () => this.attach(one, CLIENT, `hello from ${CLIENT} on ${one.label}`),
      (s) => `${s.addresses.join(', ')} in ${s.machine.netns}`,
    );
    await this.showVxlanPorts();
    await this.showMtu(web, client);
    this.findings.acrossHostsUrl = url;
    this.findings.acrossHosts = await progress.step(
      `${CLIENT} on ${one.label} fetches ${url} from ${WEB} on ${two.label}, across the VXLAN`,
      async () => {
        const result = await driver.run(client.machine, ['wget', '-q', '-O', '-', url], 30_000);
        if (result.exitCode !== 0)
          throw new Error(`wget exited with ${result.exitCode ?? result.signal}: ${(result.stderr || result.stdout).trim()}`);
        return result.stdout.trim();
      },
      (body) => `"${body}"`,
    );
    await this.showNames(client);
  }

  async showVxlanPorts(): Promise<void> {
    const { hosts } = this;
    const ports = await this.progress.step(
      `the zone's VXLAN port vx-${DEMO_ZONE} on each host, and its peers`,
      async () => {
        const found: VxlanPort[] = [];
        for (const host of hosts) {
          const port = await readVxlanPort(host, `vx-${DEMO_ZONE}`);
          if (!port) throw new Error(`${host.label} has no VXLAN port vx-${DEMO_ZONE}`);
          const peers = vxlanOf(host, hosts).peers;
          if (port.floods.join() !== peers.join())
            throw new Error(
              `${host.label}: vx-${DEMO_ZONE} floods to ${port.floods.join(', ') || 'nobody'}, not to its peers ${peers.join(', ')}`,
            );
          found.push(port);
        }
        return found;
      },
      (found) => found.map((port, i) => describePort(hosts[i] as DemoHost, port)).join('; '),
    );
    this.findings.ports = ports;
  }

  /** Every link of the zone at the underlay's MTU less VXLAN's overhead, so full frames cross. */
  async showMtu(web: MachineState, client: MachineState): Promise<void> {
    const zoneLinks = [`vz-${DEMO_ZONE}`, `vx-${DEMO_ZONE}`];
    this.findings.mtu = await this.progress.step(
      `MTU: ${UNDERLAY_LINK}'s ${UNDERLAY_MTU} less 50 for VXLAN`,
      async () => {
        const seen: [string, number | undefined][] = [];
        for (const host of this.hosts) {
          const mtus = await readMtus(host.netns, zoneLinks);
          zoneLinks.forEach((name, i) => seen.push([`${name} on ${host.label}`, mtus[i]]));
        }
        for (const member of [web, client])
          seen.push([`eth0 of ${member.machine.name}`, (await readMtus(machineNetnsPath(member.machine.name), ['eth0']))[0]]);
        const wrong = seen.filter(([, mtu]) => mtu !== ZONE_MTU);
        if (wrong.length) throw new Error(`not ${ZONE_MTU}: ${wrong.map(([name, mtu]) => `${name} ${mtu ?? 'missing'}`).join(', ')}`);
        return `${ZONE_MTU} on ${seen.map(([name]) => name).join(', ')}`;
      },
      (text) => text,
    );
  }

  /** The web's name at its own host's name server, and at the client's, which does not know it. */
  async showNames(client: MachineState): Promise<void> {
    const [one, two] = this.hosts;
    const name = `${WEB}.${DEMO_DOMAIN}`;
    const driver = this.driver as MachineDriver;
    this.findings.nameOnItsHost = await this.progress.step(
      `${two.label}'s name server (${two.gateways[0]}) answers ${name}`,
      async () => {
        const asked = await runInHost(two, this.options.busybox, ['nslookup', name, two.gateways[0]], 15_000);
        const addresses = answeredAddresses(asked.stdout);
        if (asked.exitCode !== 0 || !addresses.length) throw new Error(`no answer: ${(asked.stdout + asked.stderr).trim()}`);
        return addresses.join(', ');
      },
      (addresses) => addresses,
    );
    this.findings.nameOnOtherHost = await this.progress.step(
      `${CLIENT} asks ${one.label}'s name server (${one.gateways[0]}, its resolv.conf) for ${name}`,
      async () => {
        const asked = await driver.run(client.machine, ['nslookup', name], 15_000);
        const addresses = answeredAddresses(asked.stdout);
        if (asked.exitCode === 0 && addresses.length) return `resolved to ${addresses.join(', ')}`;
        if (/NXDOMAIN/.test(asked.stdout + asked.stderr)) return 'not known there (NXDOMAIN)';
        throw new Error(`no answer: ${(asked.stdout + asked.stderr).trim()}`);
      },
      (outcome) => outcome,
    );
    this.progress.note(`each host's name server knows only its own host's members: across hosts, ${CLIENT} reaches ${WEB} by address`);
  }

  /** Everything in reverse, each step on its own; then each host read back, and the sandbox's processes. */
  async tearDown(): Promise<string[]> {
    const failures: string[] = [];
    const attempt = <T>(title: string, fn: () => Promise<T>, describe?: (value: T) => string | undefined) =>
      this.progress.attempt(failures, title, fn, describe);
    const running = this.findings.machines.filter((m) => m.state.process);
    if (running.length)
      await attempt(`stop ${running.map((m) => m.state.machine.name).join(', ')}`, () =>
        Promise.all(running.map((m) => m.state.process?.stop())),
      );
    for (const { state, host } of [...this.findings.machines].reverse().filter((m) => m.state.up)) {
      await attempt(`${host.label}: zonectl down ${state.machine.name}`, () =>
        zonectlOn(host, ['down', state.machine.name, ...runtimeArgsOf(host)]),
      );
    }
    const present = this.hosts.filter((host) => namedNetnsExists(host.name));
    for (const host of present) {
      await attempt(
        `${host.label}: zonectl remove-zone ${DEMO_ZONE}`,
        () => zonectlOn(host, ['remove-zone', DEMO_ZONE, '--dns-state-dir', host.dnsStateDir]),
        (out) => out.trim(),
      );
    }
    let clean = failures.length === 0;
    for (const host of present) {
      await attempt(
        `${host.label}: nothing of zone ${DEMO_ZONE} left`,
        async () => {
          const left = await leftoversOn(host, DEMO_ZONE);
          if (left.links.length || left.zoneRules.length) {
            clean = false;
            throw new Error(`still there: ${[...left.links, ...left.zoneRules].join('; ')}`);
          }
          return left;
        },
        (left) =>
          `links: lo, ${UNDERLAY_LINK}; nft tables: ${left.tables.join(', ') || 'none'}, no rule or set element of zone ${DEMO_ZONE}`,
      );
    }
    await attempt(
      `remove the underlay and the hosts' namespaces`,
      () => removeHosts(this.hosts),
      (removed) => `removed ${removed.join(', ') || 'nothing'}`,
    );
    await attempt(
      'no process left running in the sandbox',
      async () => {
        const others = otherProcesses();
        if (others.length) {
          clean = false;
          throw new Error(`still running: ${others.join(', ')}`);
        }
      },
      () => 'only the demo itself',
    );
    this.findings.leftBehind = clean && failures.length === 0 ? 'nothing' : undefined;
    return failures;
  }

  summary(failure: Error | undefined, cleanupFailures: readonly string[]): string {
    const f = this.findings;
    const lines = [''];
    lines.push(failure || cleanupFailures.length ? 'Summary: the two-host demo FAILED' : 'Summary: the two-host demo passed');
    lines.push(
      `  zone ${DEMO_ZONE} across ${this.hosts.length} hosts: VXLAN VNI ${f.ports[0]?.vni ?? '?'} over ${UNDERLAY_LINK} 192.0.2.0/24, backend netlink, ${f.driver ?? 'no machines'}`,
    );
    f.ports.forEach((port, i) => lines.push(`  ${this.hosts[i]?.label} (${port.local}): ${port.name}, peers ${port.floods.join(', ')}`));
    for (const { state, host } of f.machines)
      lines.push(
        `  ${state.machine.name.padEnd(12)} ${state.addresses.join(', ') || '(no addresses)'} on ${host.label}; joined by ${state.joined}`,
      );
    if (f.mtu) lines.push(`  MTU:                 ${ZONE_MTU} on every link of the zone (underlay ${UNDERLAY_MTU})`);
    if (f.acrossHosts) lines.push(`  across the hosts:    ${CLIENT} (host 1) got "${f.acrossHosts}" from ${f.acrossHostsUrl}`);
    if (f.nameOnItsHost) lines.push(`  names on host 2:     ${WEB}.${DEMO_DOMAIN} is ${f.nameOnItsHost}`);
    if (f.nameOnOtherHost) lines.push(`  names on host 1:     ${WEB}.${DEMO_DOMAIN} is ${f.nameOnOtherHost}: names stay on their host`);
    if (f.leftBehind) lines.push(`  left behind:         ${f.leftBehind} (links, nft rules, processes read back on both hosts)`);
    if (failure) lines.push(`  failed: ${failure.message}`);
    for (const c of cleanupFailures) lines.push(`  cleanup failed: ${c}`);
    lines.push("  all of it ran in a private sandbox, which ends now; the host's network was not touched");
    return `${lines.join('\n')}\n`;
  }
}

export function runHostsDemo(io: Io, options: HostsDemoOptions): Promise<number> {
  return runStory(io, new HostsDemo(io, options));
}
