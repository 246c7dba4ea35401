// Shared by the zone-* end-to-end tests of the netlink backend (zone-netlink, zone-failures,
// zone-concurrency): the bundled `zone` plugin in a private copy, and a ZoneWorld — one
// sandbox with a "host" namespace where the plugin runs as a runtime runs it, container
// namespaces, and a private IPAM store — plus readers of kernel state and a TCP probe.

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, onTestFinished } from 'vitest';
import { type BundleForm, bundleCopies } from './bundles.js';
import { createSandbox, ipIn, type Netns, nsExec, type Sandbox } from './netns.js';
import { makeTestTempDir } from './paths.js';
import { type PluginOutcome, type PluginRun, runPlugin } from './plugin-process.js';

export const zoneTools = ['ip', 'nsenter', 'nft', 'bridge'];

const bundles = { compiled: bundleCopies('zone', ['zone'], 'compiled'), node: bundleCopies('zone', ['zone', 'zone-dns'], 'node') };

/** The zone plugin (by default the compiled executable), freshly built and copied once per test process (bundles.ts). */
export async function bundleZone(form: BundleForm = 'compiled'): Promise<string> {
  return join(await bundles[form].dir(), 'zone');
}

/** The plugin for a test file: made before its tests, removed after them. */
export function useZoneBundle(form: BundleForm = 'compiled'): void {
  beforeAll(() => bundleZone(form), 120_000);
  afterAll(() => bundles[form].remove());
}

export const DUAL_STACK = [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89:0::/64' }]];

export interface AddedInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface AddResult {
  cniVersion: string;
  interfaces: AddedInterface[];
  ips: { address: string; gateway?: string; interface?: number; version?: string }[];
  routes?: { dst: string; gw?: string }[];
  dns?: object;
}

export interface CniErrorOutput {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

export interface Attach {
  /** The container's namespace; undefined for GC and STATUS. */
  container?: Netns | string;
  containerId?: string;
  ifname?: string;
  /** Replaces the world's network configuration for this call. */
  conf?: object;
  args?: PluginRun['args'];
  /** Files bind-mounted over the host's for this call (plugin-process.ts). */
  binds?: PluginRun['binds'];
}

export interface ZoneWorld {
  readonly sandbox: Sandbox;
  readonly host: Netns;
  readonly dataDir: string;
  readonly network: string;
  /** `<dataDir>/<network>` */
  readonly store: string;
  /** The zone name server's stateDir (names store, server record), `<dataDir>/dns-state`, unless `plugin` names another. */
  readonly dnsStateDir: string;
  /** The network configuration; `plugin` fields go into the plugin, `ipam` into its ipam section. */
  conf(plugin?: object, ipam?: object, cniVersion?: string): Record<string, unknown>;
  run(command: string, call: Attach): Promise<PluginOutcome>;
  /** ADD that must succeed. */
  add(call: Attach): Promise<AddResult>;
  /** DEL that must succeed. */
  del(call: Attach): Promise<void>;
  container(role: string): Promise<Netns>;
}

export interface WorldOptions {
  network?: string;
  zone?: string;
  ranges?: object[][];
  /** More plugin fields. */
  plugin?: object;
  cniVersion?: string;
}

/** A world that `onTestFinished` removes: namespaces, store, everything. */
export async function createZoneWorld(options: WorldOptions = {}): Promise<ZoneWorld> {
  const executable = await bundleZone();
  const sandbox = await createSandbox();
  const dataDir = makeTestTempDir('zone-store');
  onTestFinished(async () => {
    await sandbox.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const network = options.network ?? 'web';
  const dnsStateDir = join(dataDir, 'dns-state');
  const base = {
    cniVersion: options.cniVersion ?? '1.1.0',
    name: network,
    type: 'zone',
    backend: 'netlink',
    // The zone's names store in the test's own directory, never the machine's /run/cni-zones/dns.
    nameServer: { stateDir: dnsStateDir },
    ...(options.zone !== undefined && { zone: options.zone }),
    ...options.plugin,
  };
  const world: ZoneWorld = {
    sandbox,
    host: sandbox.host,
    dataDir,
    network,
    store: join(dataDir, network),
    dnsStateDir,
    conf(plugin = {}, ipam = {}, cniVersion) {
      return {
        ...base,
        ...(cniVersion !== undefined && { cniVersion }),
        ...plugin,
        ipam: { type: 'zone-ipam', dataDir, ranges: options.ranges ?? DUAL_STACK, ...ipam },
      };
    },
    run(command, call) {
      const netns = typeof call.container === 'string' ? call.container : call.container?.path;
      return runPlugin(executable, {
        command,
        ...(call.containerId !== undefined && { containerId: call.containerId, ifname: call.ifname ?? 'eth0' }),
        ...(netns !== undefined && { netns }),
        path: '/usr/lib/cni',
        ...(call.args !== undefined && { args: call.args }),
        ...(call.binds !== undefined && { binds: call.binds }),
        stdin: call.conf ?? world.conf(),
        inNamespace: sandbox.host,
        timeoutMs: 50_000,
      });
    },
    async add(call) {
      const outcome = await world.run('ADD', call);
      expect(outcome.exitCode, `ADD ${call.containerId}: ${outcome.stdout}${outcome.stderr}`).toBe(0);
      return outcome.json as AddResult;
    },
    async del(call) {
      const outcome = await world.run('DEL', call);
      expect(outcome.exitCode, `DEL ${call.containerId}: ${outcome.stdout}${outcome.stderr}`).toBe(0);
    },
    container: (role) => sandbox.container(role),
  };
  return world;
}

/** The plugin failed the way the spec says: exit code 1 and an error object with `code`. */
export function expectCniError(outcome: PluginOutcome, code: number, msg?: RegExp): CniErrorOutput {
  expect(outcome.exitCode, outcome.stdout + outcome.stderr).toBe(1);
  const error = outcome.json as CniErrorOutput;
  expect(error.code, outcome.stdout).toBe(code);
  expect(error.msg, outcome.stdout).toBeTruthy();
  if (msg) expect(error.msg).toMatch(msg);
  return error;
}

// ---- kernel state, read with the tools an administrator would use ----

export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  master?: string;
  address?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
}

export async function links(ns: Netns | string): Promise<IpLink[]> {
  const { stdout } = await ipIn(ns, '-j', '-d', 'link', 'show');
  return JSON.parse(stdout) as IpLink[];
}

export async function link(ns: Netns | string, name: string): Promise<IpLink | undefined> {
  return (await links(ns)).find((l) => l.ifname === name);
}

/** Host ends of zone veths (`vz` + 13 hex digits). */
export async function hostVeths(ns: Netns | string): Promise<IpLink[]> {
  return (await links(ns)).filter((l) => /^vz[0-9a-f]{13}$/.test(l.ifname));
}

export async function addresses(ns: Netns | string, ifname: string): Promise<string[]> {
  const { stdout } = await ipIn(ns, '-j', 'address', 'show', 'dev', ifname);
  const [entry] = JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number; scope: string }[] }[];
  return (entry?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

export async function routes(ns: Netns | string, family: 4 | 6): Promise<IpRoute[]> {
  const { stdout } = await ipIn(ns, '-j', `-${family}`, 'route', 'show');
  return JSON.parse(stdout) as IpRoute[];
}

/**
 * Wait until no IPv6 address in `ns` is tentative: a new host veth gets its link-local address
 * and, once DAD is through, that address's local routes a second or two after ADD returned.
 * A before/after snapshot taken earlier would see them as changes.
 */
export async function settle(ns: Netns | string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { stdout } = await ipIn(ns, '-6', '-o', 'address', 'show', 'tentative');
    if (stdout.trim() === '') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`IPv6 addresses in ${typeof ns === 'string' ? ns : ns.name} stay tentative`);
}

export async function sysctl(ns: Netns | string, key: string): Promise<string> {
  const { stdout } = await nsExec(ns, 'sysctl', ['-n', key]);
  return stdout.trim();
}

export async function nftRuleset(ns: Netns | string): Promise<string> {
  return (await nsExec(ns, 'nft', ['list', 'ruleset'])).stdout;
}

/** The addresses allocated in an IPAM store (file names); temp files and bookkeeping are not allocations. */
export function allocations(store: string): string[] {
  if (!existsSync(store)) return [];
  return readdirSync(store).filter((name) => name !== 'lock' && !name.startsWith('last_reserved_ip.') && !name.startsWith('.'));
}

export function storeFiles(store: string): string[] {
  return existsSync(store) ? readdirSync(store).sort() : [];
}

// ---- traffic ----

const PEER_PORT = 8080;

// Answers every connection with the peer address it sees (v4-mapped written as plain v4).
const peerServer = `
const server = require('node:net').createServer((socket) => {
  socket.end(socket.remoteAddress.replace(/^::ffff:/, '') + '\\n');
});
server.listen(${PEER_PORT}, '::', () => console.log('listening'));
`;

const peerClient = `
const [host, port] = process.argv.slice(1);
const socket = require('node:net').connect({ host, port: Number(port), timeout: 8000 });
let data = '';
socket.on('data', (chunk) => (data += chunk));
socket.on('end', () => process.stdout.write(data.trim()));
socket.on('timeout', () => { console.error('timeout'); process.exit(2); });
socket.on('error', (e) => { console.error(e.message); process.exit(3); });
`;

/** A TCP server in `ns` that tells each client the address it came from; stopped with the sandbox. */
export async function startPeerServer(sandbox: Sandbox, ns: Netns): Promise<void> {
  const server = sandbox.spawn(ns, process.execPath, ['-e', peerServer]);
  await new Promise<void>((resolve, reject) => {
    server.stdout?.once('data', () => resolve());
    server.once('exit', () => reject(new Error(`peer server in ${ns.name} exited`)));
  });
}

/** Connect from `from` to `address` over TCP; the source address the server saw. */
export async function peerSeenBy(from: Netns, address: string): Promise<string> {
  const { stdout } = await nsExec(from, process.execPath, ['-e', peerClient, address, String(PEER_PORT)], { timeout: 20_000 });
  return stdout;
}

/** `10.89.0.2/24` → `10.89.0.2` */
export function hostPart(cidr: string): string {
  return cidr.split('/')[0]!;
}
