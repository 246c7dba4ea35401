// Shared by the zonectl-* end-to-end tests: a private copy of the bundles (zonectl and the
// plugins it runs), and a ZonectlWorld — a sandbox whose "host" namespace zonectl runs in
// (through `nsenter --net=`), with its own conf dir, result cache, IPAM store and port records,
// so nothing reaches /etc/cni, /var/lib/cni or /run/cni-zones of the machine.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, onTestFinished } from 'vitest';
import { bundleCopies } from './bundles.js';
import { createSandbox, deleteNetns, ipIn, type Netns, netnsExists, nsenterArgs, type Sandbox, uniqueNetnsName } from './netns.js';
import { makeTestTempDir } from './paths.js';

const BUNDLES = ['zonectl', 'zone', 'zone-ipam', 'zone-ports'] as const;

const bundles = bundleCopies('zonectl', BUNDLES);

/** Call at the top of a test file: its bundle copy goes when the file is done. */
export function useZonectlBundles(): void {
  afterAll(() => bundles.remove());
}

/** The directory of the compiled executable linked as BUNDLES, freshly built (bundles.ts). */
function bundleDir(): Promise<string> {
  return bundles.dir();
}

export interface ZonectlRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export interface WorldOptions {
  network?: string;
  /** Dual stack by default. */
  ranges?: object[][];
  /** More fields of the zone plugin. */
  plugin?: object;
}

export interface ZonectlWorld {
  readonly sandbox: Sandbox;
  readonly host: Netns;
  readonly network: string;
  readonly dir: string;
  readonly confDir: string;
  readonly cacheDir: string;
  /** <dataDir>/<network>: the IPAM store. */
  readonly store: string;
  readonly portsDir: string;
  readonly bin: string;
  /** --conf-dir, --cache-dir, --cni-path of this world. */
  readonly runtimeArgs: string[];
  /** zonectl ARGS inside the host namespace (runtime options appended when `runtime` is true). */
  zonectl(args: readonly string[], options?: { runtime?: boolean; timeoutMs?: number }): Promise<ZonectlRun>;
  /** `zonectl up` that must succeed; returns the machine name. */
  up(role: string, extra?: readonly string[]): Promise<string>;
  /** A machine name (`czt-<pid>-<n>-<role>`) whose /run/netns entry is removed with the world. */
  machineName(role: string): string;
}

const DUAL_STACK = [[{ subnet: '10.89.0.0/24', rangeEnd: '10.89.0.127' }], [{ subnet: 'fd89::/64' }]];

function conflist(network: string, dir: string, options: WorldOptions = {}): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    cniVersions: ['1.0.0', '1.1.0'],
    name: network,
    plugins: [
      {
        type: 'zone',
        zone: network,
        // Never auto: a networkd on the machine would be found and handed our bridge.
        backend: 'netlink',
        hairpin: true,
        portsStateDir: join(dir, 'ports'),
        nameServer: { stateDir: join(dir, 'dns') },
        ipam: {
          type: 'zone-ipam',
          dataDir: join(dir, 'ipam'),
          ranges: options.ranges ?? DUAL_STACK,
          routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
        },
        capabilities: { portMappings: true, ips: true, mac: true },
        ...options.plugin,
      },
    ],
  };
}

/** A world that `onTestFinished` removes: zonectl's machines, namespaces, directories. */
export async function createZonectlWorld(options: WorldOptions = {}): Promise<ZonectlWorld> {
  const bin = await bundleDir();
  const sandbox = await createSandbox();
  const dir = makeTestTempDir('zonectl-world');
  const network = options.network ?? 'zt';
  const confDir = join(dir, 'net.d');
  mkdirSync(confDir);
  writeFileSync(join(confDir, `${network}.conflist`), `${JSON.stringify(conflist(network, dir, options), null, 2)}\n`);
  const runtimeArgs = ['--conf-dir', confDir, '--cache-dir', join(dir, 'cache'), '--cni-path', bin];
  const machines: string[] = [];
  onTestFinished(async () => {
    for (const machine of machines.reverse()) {
      // Whatever a failed test left: DEL through zonectl first (host veth, IPAM, ports), then the namespace itself.
      await world.zonectl(['down', machine], { runtime: true }).catch(() => undefined);
      if (await netnsExists(machine)) await deleteNetns(machine);
    }
    await sandbox.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const world: ZonectlWorld = {
    sandbox,
    host: sandbox.host,
    network,
    dir,
    confDir,
    cacheDir: join(dir, 'cache'),
    store: join(dir, 'ipam', network),
    portsDir: join(dir, 'ports'),
    bin,
    runtimeArgs,
    async zonectl(args, { runtime = false, timeoutMs = 50_000 } = {}) {
      const argv = [...nsenterArgs(sandbox.host), join(bin, 'zonectl'), ...args, ...(runtime ? runtimeArgs : [])];
      const result = await execa('nsenter', argv, { reject: false, timeout: timeoutMs, env: { NODE_EXTRA_CA_CERTS: undefined } });
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
    machineName(role) {
      const name = uniqueNetnsName(role);
      machines.push(name);
      return name;
    },
    async up(role, extra = []) {
      const machine = world.machineName(role);
      const run = await world.zonectl(['up', machine, '--network', network, ...extra], { runtime: true });
      expect(run.exitCode, `zonectl up ${machine}: ${run.stdout}\n${run.stderr}`).toBe(0);
      return machine;
    },
  };
  return world;
}

// ---- reading the real state ----

export interface IpLink {
  ifname: string;
  address?: string;
  flags: string[];
  master?: string;
  ifalias?: string;
}

export async function links(ns: Netns | string): Promise<IpLink[]> {
  const { stdout } = await ipIn(ns, '-j', 'link', 'show');
  return JSON.parse(stdout) as IpLink[];
}

/** Global addresses of a link in CIDR notation. */
export async function addresses(ns: Netns | string, ifname: string): Promise<string[]> {
  const { stdout } = await ipIn(ns, '-j', 'address', 'show', 'dev', ifname);
  const [entry] = JSON.parse(stdout) as { addr_info: { local: string; prefixlen: number; scope: string }[] }[];
  return (entry?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
}

/** IPAM allocations (addresses) in a store. */
export function allocations(store: string): string[] {
  if (!existsSync(store)) return [];
  return readdirSync(store)
    .filter((n) => n !== 'lock' && !n.startsWith('last_reserved_ip.') && !n.startsWith('.'))
    .sort();
}

export function cacheRecords(cacheDir: string): string[] {
  const dir = join(cacheDir, 'results');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => !n.startsWith('.'))
        .sort()
    : [];
}

/** `10.89.0.2/24` → `10.89.0.2` */
export function hostPart(cidr: string): string {
  return cidr.split('/')[0] as string;
}

/** The HTTP body `url` gives inside `ns` (busybox wget; its -T crashes, so execa bounds it). */
export async function httpGet(ns: Netns | string, url: string, timeoutMs = 10_000): Promise<{ ok: boolean; body: string }> {
  const result = await execa('nsenter', [...nsenterArgs(ns), 'busybox', 'wget', '-q', '-O', '-', url], {
    reject: false,
    timeout: timeoutMs,
  });
  return { ok: result.exitCode === 0, body: result.stdout.trim() };
}

export function netnsPathOf(machine: string): string {
  return `/run/netns/${machine}`;
}
