// A runtime's timeout in the middle of a full chain ADD: the `zone` plugin (compiled, netlink
// backend) with the portMappings capability, publishing in-process, then `zone-ports` chained
// behind it with the same mappings, localhost publishing on for both, as libcni runs such a
// conflist. The chain is SIGKILLed at deterministic points spread over 0..1.2× the measured
// duration of each step (zone, then zone-ports with zone complete), and each kill is followed
// by the DEL a runtime sends after a failed ADD: zone-ports DEL then zone DEL (libcni's reverse
// order), with no prevResult (a failed ADD caches none). After every one of them nothing of
// that container remains: no host veth, no container eth0, no IPAM allocation and no IPAM temp
// file (DEL collects the ones of killed writers), no nft element but the zone's own and the
// shared hairpin pairs, no port record, temp file or route_localnet marker, route_localnet
// back off. At the end a new ADD works, its published ports answer, and DEL empties the zone.

import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { ipIn, type Netns, nsenterArgs } from '../support/netns.js';
import { pluginEnvironment } from '../support/plugin-process.js';
import { elementsOf, filesIn, tableElements } from '../support/ports-census.js';
import { privileged } from '../support/privileges.js';
import {
  type CniResult,
  containerAddress,
  createPortsWorld,
  EXTERNAL,
  GATEWAY,
  HOST_UPLINK,
  type Mapping,
  nftTable,
  type PortsWorld,
  portsTools,
  probeMap,
  probesOf,
  startServer,
  sysctl,
} from '../support/ports-world.js';
import { allocations, hostVeths, link, storeFiles } from '../support/zone-world.js';

const priv = privileged(portsTools);

const POINTS = 24;
const PORT = 8380;
const LOCAL_ONLY = 8381;
const mappings: Mapping[] = [
  { hostPort: PORT, containerPort: 80, protocol: 'tcp' },
  { hostPort: PORT, containerPort: 80, protocol: 'udp' },
  { hostPort: LOCAL_ONLY, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' },
];
const ROUTE_LOCALNET = 'net.ipv4.conf.vz-web.route_localnet';

type Step = 'zone' | 'zone-ports';
const STEPS: readonly Step[] = ['zone', 'zone-ports'];

interface ChainRun {
  /** `ran through`, or `<step> killed`, or `<step> exit N: <output>`. */
  outcome: string;
  /** How long each step that ran took, from spawn to exit. */
  durations: Partial<Record<Step, number>>;
  result?: CniResult;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Link names of a namespace, sorted. */
async function linkNames(ns: Netns): Promise<string[]> {
  const { stdout } = await ipIn(ns, '-j', 'link', 'show');
  return (JSON.parse(stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
}

priv.describe('a full chain ADD (zone with portMappings, then zone-ports) killed at spread points', () => {
  priv.it(
    `leaves nothing of the container after each of ${2 * POINTS} kills and the runtime's DEL; the zone works afterwards`,
    async () => {
      const world: PortsWorld = await createPortsWorld();
      const ct = await world.container('killed');
      const store = join((world.zoneConf().ipam as { dataDir: string }).dataDir, world.network);
      const zoneConf = world.zoneConf({ localhost: true, capabilities: { portMappings: true }, runtimeConfig: { portMappings: mappings } });
      const portsConf = (containerId: string, prevResult?: CniResult) =>
        world.portsConf({ containerId, mappings, conf: { localhost: true }, ...(prevResult && { prevResult }) });
      await startServer(world.sandbox, ct, 'ct');

      /**
       * The chain as libcni runs it: zone, then zone-ports with zone's result. The clock starts
       * when step `from` starts; `killAfter` ms later whichever step is running gets SIGKILL
       * (none when the chain is through by then). A killed or failed step ends the chain.
       */
      async function runChain(containerId: string, killAfter?: number, from: Step = 'zone'): Promise<ChainRun> {
        const durations: ChainRun['durations'] = {};
        let deadline: number | undefined;
        let prevResult: CniResult | undefined;
        for (const step of STEPS) {
          if (step === from && killAfter !== undefined) deadline = performance.now() + killAfter;
          const executable = step === 'zone' ? world.bundles.zone : world.bundles.zonePorts;
          const conf = step === 'zone' ? zoneConf : portsConf(containerId, prevResult);
          const started = performance.now();
          const child = execa('nsenter', [...nsenterArgs(world.host), executable], {
            input: JSON.stringify(conf),
            env: pluginEnvironment({ command: 'ADD', containerId, netns: ct.path, ifname: 'eth0', path: '/usr/lib/cni' }),
            extendEnv: false,
            reject: false,
          });
          const timer =
            deadline === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - performance.now()));
          const ended = await child;
          clearTimeout(timer);
          durations[step] = performance.now() - started;
          if (ended.signal === 'SIGKILL') return { outcome: `${step} killed`, durations };
          if (ended.exitCode !== 0) return { outcome: `${step} exit ${ended.exitCode}: ${ended.stdout}${ended.stderr}`, durations };
          prevResult = JSON.parse(ended.stdout) as CniResult;
        }
        return { outcome: 'ran through', durations, ...(prevResult && { result: prevResult }) };
      }

      /** What a runtime sends after a failed ADD: DEL of every plugin in reverse, no prevResult. */
      async function runtimeDel(containerId: string, what: string): Promise<void> {
        const ports = await world.ports('DEL', { containerId, container: ct, mappings, conf: { localhost: true } });
        expect(ports.exitCode, `zone-ports DEL ${what}: ${ports.stdout}${ports.stderr}`).toBe(0);
        const zone = await world.zoneRun('DEL', ct, containerId, zoneConf);
        expect(zone.exitCode, `zone DEL ${what}: ${zone.stdout}${zone.stderr}`).toBe(0);
      }

      const published = () =>
        probeMap(world.host, [...probesOf(['127.0.0.1', HOST_UPLINK.v4], PORT), ...probesOf(['127.0.0.1'], LOCAL_ONLY, ['tcp'])]);

      // How long each step takes here, over a few whole chains; each one also proves the chain works.
      const zoneMs: number[] = [];
      const portsMs: number[] = [];
      for (const n of range(3)) {
        const id = `kp-measure-${n}`;
        const run = await runChain(id);
        expect(run.outcome, id).toBe('ran through');
        zoneMs.push(run.durations.zone!);
        portsMs.push(run.durations['zone-ports']!);
        expect(await published(), id).toEqual({
          'tcp 127.0.0.1:8380': `ct ${GATEWAY.v4}`,
          'udp 127.0.0.1:8380': `ct ${GATEWAY.v4}`,
          'tcp 192.0.2.1:8380': `ct ${HOST_UPLINK.v4}`,
          'udp 192.0.2.1:8380': `ct ${HOST_UPLINK.v4}`,
          'tcp 127.0.0.1:8381': `ct ${GATEWAY.v4}`,
        });
        await runtimeDel(id, id);
      }
      const span: Record<Step, number> = { zone: 1.2 * median(zoneMs), 'zone-ports': 1.2 * median(portsMs) };

      // What the zone holds with no container on it; every kill + DEL must come back to exactly this.
      const baseline = {
        hostLinks: await linkNames(world.host),
        containerLinks: await linkNames(ct),
        elements: (await tableElements(world.host)).map((e) => `${e.set} ${e.comment}`).sort(),
        table: await nftTable(world.host, 'inet', 'cni_zones'),
        store: storeFiles(store),
        state: filesIn(world.stateDir),
        routeLocalnet: await sysctl(world.host, ROUTE_LOCALNET),
      };
      expect(baseline.containerLinks).toEqual(['lo']);
      expect(baseline.hostLinks).toEqual(['lo', 'up0', 'vz-web']);
      expect(baseline.store).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
      expect(baseline.state).toEqual(['localnet.lock']);
      expect(baseline.routeLocalnet).toBe('0');
      // only the zone's masquerade elements and the shared hairpin pairs, which no container owns
      expect(
        baseline.elements.every((e) => e.endsWith(' zone:web') || e.endsWith(' ports shared')),
        baseline.elements.join(', '),
      ).toBe(true);

      const outcomes: Record<Step, string[]> = { zone: [], 'zone-ports': [] };
      for (const step of STEPS) {
        for (const k of range(POINTS)) {
          const containerId = `kp-${step}-${k}`;
          const killAfter = Math.round(((k + 0.5) / POINTS) * span[step]);
          const run = await runChain(containerId, killAfter, step);
          const what = `after a kill ${killAfter} ms into ${step} ADD of ${containerId} (${run.outcome})`;
          outcomes[step].push(`${killAfter} ms: ${run.outcome}`);
          // Only the kill ends a chain early: nothing else may make an ADD fail here.
          expect(run.outcome, what).toMatch(/^(ran through|zone killed|zone-ports killed)$/);

          await runtimeDel(containerId, what);
          expect(await hostVeths(world.host), what).toEqual([]);
          expect(await link(ct, 'eth0'), what).toBeUndefined();
          expect(await linkNames(ct), what).toEqual(baseline.containerLinks);
          expect(await linkNames(world.host), what).toEqual(baseline.hostLinks);
          expect(allocations(store), what).toEqual([]);
          // no `.tmp-<pid>-*` either: the DEL collects the temp file of a killed IPAM writer
          expect(storeFiles(store), what).toEqual(baseline.store);
          expect(await elementsOf(world.host, containerId), what).toBe(0);
          expect((await tableElements(world.host)).map((e) => `${e.set} ${e.comment}`).sort(), what).toEqual(baseline.elements);
          expect(await nftTable(world.host, 'inet', 'cni_zones'), what).toBe(baseline.table);
          // no record, no `<record>.<pid>.tmp`, no route_localnet marker
          expect(filesIn(world.stateDir), what).toEqual(baseline.state);
          expect(await sysctl(world.host, ROUTE_LOCALNET), what).toBe(baseline.routeLocalnet);
        }
      }
      // The kills really landed in each step. (Whether the last points come after it depends on
      // how busy the machine is: a step runs slower under load than when it was measured.)
      expect(
        outcomes.zone.some((o) => o.endsWith(': zone killed')),
        outcomes.zone.join(', '),
      ).toBe(true);
      expect(
        outcomes['zone-ports'].some((o) => o.endsWith(': zone-ports killed')),
        outcomes['zone-ports'].join(', '),
      ).toBe(true);

      // The container can be attached again: its ports answer everywhere they are published.
      const again = await runChain('kp-again');
      expect(again.outcome).toBe('ran through');
      const address = containerAddress(again.result!, 4);
      expect(await published()).toEqual({
        'tcp 127.0.0.1:8380': `ct ${GATEWAY.v4}`,
        'udp 127.0.0.1:8380': `ct ${GATEWAY.v4}`,
        'tcp 192.0.2.1:8380': `ct ${HOST_UPLINK.v4}`,
        'udp 192.0.2.1:8380': `ct ${HOST_UPLINK.v4}`,
        'tcp 127.0.0.1:8381': `ct ${GATEWAY.v4}`,
      });
      expect(await probeMap(world.external, probesOf([HOST_UPLINK.v4], PORT, ['tcp']))).toEqual({
        'tcp 192.0.2.1:8380': `ct ${EXTERNAL.v4}`,
      });
      expect(await sysctl(world.host, ROUTE_LOCALNET)).toBe('1');
      await runtimeDel('kp-again', 'kp-again');

      // ... and DEL leaves the zone empty, the ports closed.
      expect(await hostVeths(world.host)).toEqual([]);
      expect(await link(ct, 'eth0')).toBeUndefined();
      expect(storeFiles(store)).toEqual(baseline.store);
      expect(filesIn(world.stateDir)).toEqual(baseline.state);
      expect(await nftTable(world.host, 'inet', 'cni_zones')).toBe(baseline.table);
      expect(await nftTable(world.host, 'inet', 'cni_zones')).not.toContain(address);
      expect(await sysctl(world.host, ROUTE_LOCALNET)).toBe('0');
      expect(await probeMap(world.host, probesOf(['127.0.0.1', HOST_UPLINK.v4], PORT, ['tcp']))).toEqual({
        'tcp 127.0.0.1:8380': 'ECONNREFUSED',
        'tcp 192.0.2.1:8380': 'ECONNREFUSED',
      });
    },
    400_000,
  );
});
