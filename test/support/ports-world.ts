// Shared by the ports*.test.ts end-to-end tests: private copies of the `zone` and `zone-ports`
// bundles (bundles.ts), and a PortsWorld — one sandbox with a "host" namespace where the
// plugins run as a runtime runs them, an "external" namespace on the host's uplink, and containers on a zone made by the
// `zone` plugin (netlink backend). Traffic is probed with small Node scripts: TCP and UDP
// servers that answer with the peer address they see, and a prober that tries many targets
// at once in one process.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { bundleCopies } from './bundles.js';
import { addAddress, createSandbox, ipIn, type Netns, nsExec, type Sandbox } from './netns.js';
import { makeTestTempDir } from './paths.js';
import { type PluginOutcome, type PluginRun, runPlugin } from './plugin-process.js';

export const portsTools = ['ip', 'nsenter', 'nft', 'sysctl'];

export interface Bundles {
  zone: string;
  zonePorts: string;
}

const bundles = bundleCopies('ports', ['zone', 'zone-ports']);

/** zone and zone-ports, freshly built and copied once per test process (bundles.ts). */
async function bundlePlugins(): Promise<Bundles> {
  const dir = await bundles.dir();
  return { zone: join(dir, 'zone'), zonePorts: join(dir, 'zone-ports') };
}

export interface CniResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  ips: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
}

export interface CniErrorOutput {
  code: number;
  msg: string;
  details?: string;
}

export interface Mapping {
  hostPort: number;
  containerPort: number;
  protocol?: string;
  hostIP?: string;
}

export interface PortsCall {
  containerId: string;
  /** The container's namespace (CNI_NETNS); DEL may go without. */
  container?: Netns;
  ifname?: string;
  mappings?: Mapping[];
  prevResult?: CniResult;
  /** More fields of the zone-ports configuration. */
  conf?: object;
  env?: PluginRun['env'];
}

export const HOST_UPLINK = { v4: '192.0.2.1', v6: '2001:db8::1' };
export const EXTERNAL = { v4: '192.0.2.2', v6: '2001:db8::2' };
export const GATEWAY = { v4: '10.89.0.1', v6: 'fd89::1' };
const CNI_VERSION = '1.0.0';

export interface PortsWorld {
  readonly sandbox: Sandbox;
  readonly host: Netns;
  readonly external: Netns;
  readonly bundles: Bundles;
  readonly stateDir: string;
  readonly network: string;
  container(role: string): Promise<Netns>;
  /** The zone plugin's configuration (`extra` merged in). */
  zoneConf(extra?: object): Record<string, unknown>;
  /** zone ADD for a container (hairpin on: with br_netfilter active a container's own published port needs it). */
  zoneAdd(container: Netns, containerId: string, extra?: object): Promise<CniResult>;
  zoneRun(command: string, container: Netns | undefined, containerId: string, conf: object): Promise<PluginOutcome>;
  /** The zone-ports configuration with prevResult and runtimeConfig. */
  portsConf(call: PortsCall): Record<string, unknown>;
  ports(command: string, call: PortsCall): Promise<PluginOutcome>;
  portsOk(command: string, call: PortsCall): Promise<PluginOutcome>;
}

/** A world that `onTestFinished` (or `cleanup()` in afterAll) removes. */
export async function createPortsWorld(options: { scope?: 'test' | 'manual' } = {}): Promise<PortsWorld & { cleanup(): Promise<void> }> {
  const bundles = await bundlePlugins();
  const sandbox = await createSandbox();
  const dataDir = makeTestTempDir('ports-ipam');
  const stateDir = makeTestTempDir('ports-state');
  const cleanup = async () => {
    await sandbox.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  };
  if (options.scope !== 'manual') onTestFinished(cleanup);
  const { host } = sandbox;
  const external = await sandbox.container('ext');
  await sandbox.connect(host, external, { nameA: 'up0', nameB: 'eth0' });
  await addAddress(host, 'up0', `${HOST_UPLINK.v4}/24`);
  await addAddress(host, 'up0', `${HOST_UPLINK.v6}/64`);
  await addAddress(external, 'eth0', `${EXTERNAL.v4}/24`);
  await addAddress(external, 'eth0', `${EXTERNAL.v6}/64`);
  await ipIn(external, 'route', 'add', 'default', 'via', HOST_UPLINK.v4);
  await ipIn(external, 'route', 'add', 'default', 'via', HOST_UPLINK.v6);
  const network = 'web';

  const run = (executable: string, command: string, run: Omit<PluginRun, 'command'>) =>
    runPlugin(executable, { command, path: '/usr/lib/cni', inNamespace: host, timeoutMs: 50_000, ...run });

  const world: PortsWorld & { cleanup(): Promise<void> } = {
    sandbox,
    host,
    external,
    bundles,
    stateDir,
    network,
    cleanup,
    container: (role) => sandbox.container(role),
    zoneConf: (extra = {}) => ({
      cniVersion: CNI_VERSION,
      name: network,
      type: 'zone',
      backend: 'netlink',
      hairpin: true,
      portsStateDir: stateDir,
      nameServer: { stateDir: join(dataDir, 'dns-state') },
      ipam: { type: 'zone-ipam', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] },
      ...extra,
    }),
    zoneRun: (command, container, containerId, conf) =>
      run(bundles.zone, command, { containerId, ifname: 'eth0', stdin: conf, ...(container && { netns: container.path }) }),
    async zoneAdd(container, containerId, extra = {}) {
      const outcome = await world.zoneRun('ADD', container, containerId, world.zoneConf(extra));
      expect(outcome.exitCode, `zone ADD ${containerId}: ${outcome.stdout}${outcome.stderr}`).toBe(0);
      return outcome.json as CniResult;
    },
    portsConf: (call) => ({
      cniVersion: CNI_VERSION,
      name: network,
      type: 'zone-ports',
      capabilities: { portMappings: true },
      portsStateDir: stateDir,
      ...(call.mappings !== undefined && { runtimeConfig: { portMappings: call.mappings } }),
      ...(call.prevResult !== undefined && { prevResult: call.prevResult }),
      ...call.conf,
    }),
    ports: (command, call) =>
      run(bundles.zonePorts, command, {
        containerId: call.containerId,
        ifname: call.ifname ?? 'eth0',
        netns: call.container?.path ?? '/run/netns/gone',
        stdin: world.portsConf(call),
        ...(call.env && { env: call.env }),
      }),
    async portsOk(command, call) {
      const outcome = await world.ports(command, call);
      expect(outcome.exitCode, `zone-ports ${command} ${call.containerId}: ${outcome.stdout}${outcome.stderr}`).toBe(0);
      return outcome;
    },
  };
  return world;
}

/** The plugin failed the way the spec says: exit code 1 and an error object with `code`. */
export function expectCniError(outcome: PluginOutcome, code: number, msg?: RegExp): CniErrorOutput {
  expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(1);
  const error = outcome.json as CniErrorOutput;
  expect(error.code, outcome.stdout).toBe(code);
  if (msg) expect(error.msg).toMatch(msg);
  return error;
}

/** `10.89.0.2/24` → `10.89.0.2` */
function hostPart(cidr: string): string {
  return cidr.split('/')[0] as string;
}

export function containerAddress(result: CniResult, family: 4 | 6): string {
  const ip = result.ips.find((i) => i.address.includes(':') === (family === 6));
  if (!ip) throw new Error(`no IPv${family} address in ${JSON.stringify(result)}`);
  return hostPart(ip.address);
}

// ---- kernel state ----

export async function nftRuleset(ns: Netns): Promise<string> {
  return (await nsExec(ns, 'nft', ['list', 'ruleset'])).stdout;
}

export async function nftTable(ns: Netns, family: string, name: string): Promise<string> {
  return (await nsExec(ns, 'nft', ['list', 'table', family, name], { reject: false })).stdout;
}

export async function sysctl(ns: Netns, key: string): Promise<string> {
  return (await nsExec(ns, 'sysctl', ['-n', key])).stdout.trim();
}

// ---- traffic ----

const SERVICE_PORT = 80;

// TCP and UDP on one port: every client gets `<name> <peer address>` back.
const server = `
const [port, name] = process.argv.slice(1);
const peer = (a) => a.replace(/^::ffff:/, '');
const tcp = require('node:net').createServer((s) => s.end(name + ' ' + peer(s.remoteAddress) + '\\n'));
const udp = require('node:dgram').createSocket({ type: 'udp6', ipv6Only: false });
udp.on('message', (m, r) => udp.send(name + ' ' + peer(r.address), r.port, r.address));
let ready = 0;
const up = () => ++ready === 2 && console.log('listening');
tcp.listen(Number(port), '::', up);
udp.bind(Number(port), '::', up);
`;

/** TCP and UDP echo of the peer address on `port` in `ns`, stopped with the sandbox. */
export async function startServer(sandbox: Sandbox, ns: Netns, name: string, port = SERVICE_PORT): Promise<void> {
  const child = sandbox.spawn(ns, process.execPath, ['-e', server, String(port), name]);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', () => reject(new Error(`server in ${ns.name} exited`)));
  });
}

export interface Probe {
  proto: 'tcp' | 'udp';
  host: string;
  port: number;
}

// Tries every target at once; each answers with what the server said, TIMEOUT, or an error code.
const prober = `
const probes = JSON.parse(process.argv[1]);
const timeoutMs = Number(process.argv[2]);
const one = (p) => new Promise((resolve) => {
  const done = (v) => { clearTimeout(timer); resolve(v); };
  const timer = setTimeout(() => { socket.destroy?.(); socket.close?.(); resolve('TIMEOUT'); }, timeoutMs);
  let socket;
  if (p.proto === 'tcp') {
    let data = '';
    socket = require('node:net').connect({ host: p.host, port: p.port });
    socket.on('data', (c) => (data += c));
    socket.on('end', () => done(data.trim()));
    socket.on('error', (e) => done(e.code));
  } else {
    socket = require('node:dgram').createSocket(p.host.includes(':') ? 'udp6' : 'udp4');
    socket.on('error', (e) => { done(e.code); socket.close(); });
    socket.on('message', (m) => { done(String(m)); socket.close(); });
    socket.connect(p.port, p.host, () => socket.send('ping'));
  }
});
Promise.all(probes.map(one)).then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); });
`;

/** What each probe got from `ns`: the server's answer, `TIMEOUT`, or an error code such as ECONNREFUSED. */
export async function probe(ns: Netns, probes: readonly Probe[], timeoutMs = 3000): Promise<string[]> {
  const { stdout } = await nsExec(ns, process.execPath, ['-e', prober, JSON.stringify(probes), String(timeoutMs)], {
    timeout: timeoutMs + 20_000,
  });
  return JSON.parse(stdout) as string[];
}

/** `tcp 127.0.0.1:8080` → answer, for readable expectations. */
export async function probeMap(ns: Netns, probes: readonly Probe[], timeoutMs?: number): Promise<Record<string, string>> {
  const answers = await probe(ns, probes, timeoutMs);
  return Object.fromEntries(
    probes.map((p, i) => [`${p.proto} ${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`, answers[i] as string]),
  );
}

export function probesOf(hosts: readonly string[], port: number, protos: readonly ('tcp' | 'udp')[] = ['tcp', 'udp']): Probe[] {
  return hosts.flatMap((host) => protos.map((proto) => ({ proto, host, port })));
}
