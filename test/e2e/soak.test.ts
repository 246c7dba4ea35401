// A soak: the same container attached and detached over and over, as a runtime would, with
// published ports (TCP and UDP, on localhost too) and a UDP client keeping its source port
// between cycles. Whatever a cycle leaves must not pile up: afterwards the host side is as it
// was after the first cycle (nft elements, IPAM store, ports state directory, conntrack entries,
// links on both sides, route_localnet), and a plugin process needs no more memory at the end
// than at the start (peak RSS per call, from /usr/bin/time).
//
// CNI_ZONES_SOAK_CYCLES sets the number of cycles (50 by default; `make soak` runs 1000).

import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type Netns, nsExec } from '../support/netns.js';
import { makeTestTempDir } from '../support/paths.js';
import { type PluginOutcome, runPlugin } from '../support/plugin-process.js';
import { filesIn, recordsIn, tableElements } from '../support/ports-census.js';
import { privileged } from '../support/privileges.js';
import {
  type CniResult,
  createPortsWorld,
  GATEWAY,
  type Mapping,
  type PortsWorld,
  portsTools,
  startServer,
  sysctl,
} from '../support/ports-world.js';
import { udpEntriesTo, udpProbe } from '../support/udp-flows.js';

const CYCLES = Number(process.env.CNI_ZONES_SOAK_CYCLES ?? 50);
const priv = privileged([...portsTools, '/usr/bin/time']);

const PORT = 9700;
const mappings: Mapping[] = [
  { hostPort: PORT, containerPort: 80, protocol: 'tcp' },
  { hostPort: PORT, containerPort: 80, protocol: 'udp' },
  { hostPort: PORT + 1, containerPort: 80, protocol: 'udp', hostIP: '127.0.0.1' },
];
const ROUTE_LOCALNET = 'net.ipv4.conf.vz-web.route_localnet';

interface HostState {
  elements: number;
  store: string[];
  state: string[];
  udpFlows: number;
  hostLinks: string[];
  containerLinks: string[];
  routeLocalnet: string;
}

async function links(ns: Netns): Promise<string[]> {
  const { stdout } = await nsExec(ns, 'ip', ['-o', 'link', 'show']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':')[1]!.trim().split('@')[0]!)
    .sort();
}

/** Memory is compared on the middle of a series: a single slow start is no trend. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('soak', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let ct: Netns;
  let dir: string;
  let timed: { zone: string; zonePorts: string };
  let rssLog: string;

  beforeAll(async () => {
    if (!priv.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    ct = await world.container('ct');
    await startServer(world.sandbox, ct, 'ct');
    dir = makeTestTempDir('soak');
    rssLog = join(dir, 'rss');
    // Each run's peak RSS (KiB) appended to one log; exec keeps the plugin's name, hence its role.
    const wrap = (name: string, real: string) => {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\nexec /usr/bin/time -f '${name} %M' -a -o '${rssLog}' '${real}'\n`);
      chmodSync(path, 0o755);
      return path;
    };
    timed = { zone: wrap('zone', world.bundles.zone), zonePorts: wrap('zone-ports', world.bundles.zonePorts) };
  }, 120_000);
  afterAll(async () => {
    await world?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const storeDir = () => join((world.zoneConf().ipam as { dataDir: string }).dataDir, world.network);

  async function hostState(): Promise<HostState> {
    return {
      elements: (await tableElements(world.host)).length,
      store: filesIn(storeDir()),
      state: filesIn(world.stateDir),
      udpFlows: (await udpEntriesTo(world.host, PORT + 1)).length + (await udpEntriesTo(world.host, PORT)).length,
      hostLinks: await links(world.host),
      containerLinks: await links(ct),
      routeLocalnet: await sysctl(world.host, ROUTE_LOCALNET),
    };
  }

  const run = (executable: string, command: string, containerId: string, stdin: object): Promise<PluginOutcome> =>
    runPlugin(executable, {
      command,
      containerId,
      ifname: 'eth0',
      netns: ct.path,
      path: '/usr/lib/cni',
      inNamespace: world.host,
      stdin,
      timeoutMs: 50_000,
    });

  async function ok(outcome: Promise<PluginOutcome>, what: string): Promise<PluginOutcome> {
    const done = await outcome;
    expect(done.exitCode, `${what}: ${done.stdout}${done.stderr}`).toBe(0);
    return done;
  }

  async function cycle(n: number): Promise<void> {
    const id = 'soak-ct';
    const added = await ok(run(timed.zone, 'ADD', id, world.zoneConf()), `cycle ${n} zone ADD`);
    const prevResult = added.json as CniResult;
    await ok(run(timed.zonePorts, 'ADD', id, world.portsConf({ containerId: id, prevResult, mappings })), `cycle ${n} zone-ports ADD`);
    // one flow per cycle, each the same flow as two cycles before: its entry must not outlive the cycle
    const flow =
      n % 2 === 0 ? { host: '127.0.0.1', port: PORT + 1, sourcePort: 47_001 } : { host: GATEWAY.v4, port: PORT, sourcePort: 47_000 };
    expect(await udpProbe(world.host, flow), `cycle ${n}`).toBe(`ct ${GATEWAY.v4}`);
    await ok(run(timed.zonePorts, 'DEL', id, world.portsConf({ containerId: id, mappings })), `cycle ${n} zone-ports DEL`);
    await ok(run(timed.zone, 'DEL', id, world.zoneConf()), `cycle ${n} zone DEL`);
  }

  priv.it(
    `leaves nothing behind after ${CYCLES} ADD/DEL cycles, and a plugin needs no more memory at the end`,
    async () => {
      await cycle(0);
      const baseline = await hostState();
      expect(baseline).toMatchObject({ udpFlows: 0, state: ['localnet.lock'], containerLinks: ['lo'], routeLocalnet: '0' });
      writeFileSync(rssLog, '');
      const started = performance.now();
      for (let n = 1; n <= CYCLES; n++) {
        await cycle(n);
        if (n % 10 === 0) expect(await hostState(), `after cycle ${n}`).toEqual(baseline);
      }
      const perCycleMs = (performance.now() - started) / CYCLES;
      expect(await hostState()).toEqual(baseline);
      expect(recordsIn(world.stateDir)).toEqual([]);

      const rss = readFileSync(rssLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' '))
        .map(([name, kib]) => ({ name: name!, kib: Number(kib) }));
      expect(rss).toHaveLength(4 * CYCLES);
      const report: string[] = [];
      for (const name of ['zone', 'zone-ports']) {
        const series = rss.filter((r) => r.name === name).map((r) => r.kib);
        const window = Math.max(5, Math.floor(series.length / 10));
        const first = median(series.slice(0, window));
        const last = median(series.slice(-window));
        report.push(`${name} peak RSS KiB: first ${first}, last ${last}, max ${Math.max(...series)}`);
        expect(last, `${name}: ${report.at(-1)}`).toBeLessThanOrEqual(first * 1.1 + 2048);
      }
      console.log(`[soak] ${CYCLES} cycles, ${perCycleMs.toFixed(0)} ms per cycle (4 plugin runs, a UDP probe); ${report.join('; ')}`);
    },
    CYCLES * 5_000 + 60_000,
  );
});
