// Port publishing beside other components, in real namespaces: zone-ports chained behind the
// reference `bridge` and `ptp` plugins with `host-local` (/usr/lib/cni), a real
// `systemd-nspawn --port` machine whose io.systemd.nat tables share the namespace with ours,
// and the `zone` plugin publishing in-process when it has the portMappings capability.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ipIn, type Netns, nsExec } from '../support/netns.js';
import { type NspawnMachine, startNspawn } from '../support/nspawn-machine.js';
import { nspawnRoot } from '../support/nspawn-root.js';
import { makeTestTempDir } from '../support/paths.js';
import { privileged } from '../support/privileges.js';
import { runPlugin } from '../support/plugin-process.js';
import {
  containerAddress,
  createPortsWorld,
  type CniResult,
  expectCniError,
  EXTERNAL,
  GATEWAY,
  HOST_UPLINK,
  nftRuleset,
  nftTable,
  type PortsWorld,
  probeMap,
  probesOf,
  portsTools,
  startServer,
  sysctl,
} from '../support/ports-world.js';

const REFERENCE = '/usr/lib/cni';
const withReference = privileged([...portsTools, `${REFERENCE}/bridge`, `${REFERENCE}/ptp`, `${REFERENCE}/host-local`]);
const withNspawn = privileged([...portsTools, 'systemd-nspawn', 'busybox', 'curl']);
const priv = privileged(portsTools);

describe('zone-ports behind the reference bridge and ptp plugins with host-local', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let dataDir: string;

  beforeAll(async () => {
    if (!withReference.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    dataDir = makeTestTempDir('ports-host-local');
  }, 120_000);
  afterAll(async () => {
    await world?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const reference = (type: string, network: string, subnet: string, extra: object) => ({
    cniVersion: '1.0.0',
    name: network,
    type,
    ipMasq: false,
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] },
    ...extra,
  });

  const runReference = (type: string, command: string, container: Netns, containerId: string, conf: object) =>
    runPlugin(`${REFERENCE}/${type}`, {
      command,
      containerId,
      netns: container.path,
      ifname: 'eth0',
      path: REFERENCE,
      stdin: conf,
      inNamespace: world.host,
    });

  for (const [type, subnet, extra, localnetOn] of [
    ['bridge', '10.77.0.0/24', { bridge: 'cni-ref0', isGateway: true, hairpinMode: true }, 'cni-ref0'],
    ['ptp', '10.78.0.0/24', {}, undefined],
  ] as const) {
    withReference.it(`publishes a container attached by ${type}: localhost, host addresses, outside; DEL takes it away`, async () => {
      const network = `ref-${type}`;
      const ct = await world.container(type);
      const containerId = `ref-${type}-1`;
      const conf = reference(type, network, subnet, extra);
      const added = await runReference(type, 'ADD', ct, containerId, conf);
      expect(added.exitCode, added.stdout + added.stderr).toBe(0);
      const prevResult = added.json as CniResult;
      await startServer(world.sandbox, ct, type);
      const address = containerAddress(prevResult, 4);
      const call = {
        containerId,
        container: ct,
        prevResult,
        mappings: [
          { hostPort: 8080, containerPort: 80 },
          { hostPort: 8080, containerPort: 80, protocol: 'udp' },
        ],
        conf: { name: network },
      };

      const out = await world.portsOk('ADD', call);
      // handed on unchanged (an empty `dns: {}` says nothing and is dropped by the conversion)
      const { dns, ...rest } = prevResult as CniResult & { dns?: object };
      expect(out.json).toEqual(dns && Object.keys(dns).length > 0 ? prevResult : rest);
      const answers = await probeMap(world.host, probesOf(['127.0.0.1', HOST_UPLINK.v4], 8080));
      expect(answers['tcp 127.0.0.1:8080']).toMatch(new RegExp(`^${type} `));
      expect(answers['udp 127.0.0.1:8080']).toMatch(new RegExp(`^${type} `));
      expect(answers['tcp 192.0.2.1:8080']).toBe(`${type} ${HOST_UPLINK.v4}`);
      expect(await probeMap(world.external, probesOf([HOST_UPLINK.v4], 8080, ['tcp']))).toEqual({
        'tcp 192.0.2.1:8080': `${type} ${EXTERNAL.v4}`,
      });
      // hairpin: the container reaches its own published port through the host
      expect((await probeMap(ct, probesOf([HOST_UPLINK.v4], 8080, ['tcp'])))['tcp 192.0.2.1:8080']).toMatch(new RegExp(`^${type} `));
      // route_localnet where the packet leaves toward the container: the bridge, or ptp's host veth
      const via = (await ipIn(world.host, '-j', 'route', 'get', address)).stdout;
      const dev = (JSON.parse(via) as { dev: string }[])[0]!.dev;
      if (localnetOn) expect(dev).toBe(localnetOn);
      expect(await sysctl(world.host, `net.ipv4.conf.${dev}.route_localnet`)).toBe('1');
      expect(await sysctl(world.host, 'net.ipv4.conf.lo.route_localnet')).toBe('0');
      await world.portsOk('CHECK', call);

      await world.portsOk('DEL', { ...call, prevResult: undefined });
      const after = await probeMap(world.host, probesOf(['127.0.0.1', HOST_UPLINK.v4], 8080, ['tcp']));
      expect(after).toEqual({ 'tcp 127.0.0.1:8080': 'ECONNREFUSED', 'tcp 192.0.2.1:8080': 'ECONNREFUSED' });
      expect(await nftRuleset(world.host)).not.toContain(containerId);
      const removed = await runReference(type, 'DEL', ct, containerId, conf);
      expect(removed.exitCode, removed.stdout + removed.stderr).toBe(0);
    });
  }
});

describe('beside systemd-nspawn --port', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let machine: NspawnMachine | undefined;

  beforeAll(async () => {
    if (!withNspawn.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    const root = await nspawnRoot();
    const script =
      'ip addr add 10.99.0.2/24 dev host0; ip link set host0 up; ip route add default via 10.99.0.1; exec httpd -f -p 80 -h /www';
    machine = startNspawn(['/bin/sh', '-c', script], {
      root,
      hostNetns: world.host,
      ephemeral: true,
      extraArgs: ['--network-veth', '--port=tcp:8090:80'],
    });
    // nspawn makes ve-<machine> on the host side: give it the machine's gateway.
    const ve = await waitFor(async () => (await ipIn(world.host, '-o', 'link')).stdout.match(/ (ve-[^@:]+)[@:]/)?.[1]);
    await ipIn(world.host, 'addr', 'add', '10.99.0.1/24', 'dev', ve);
    await ipIn(world.host, 'link', 'set', ve, 'up');
    // nspawn adds its DNAT once the machine has its address.
    await waitFor(async () => (await nftTable(world.host, 'ip', 'io.systemd.nat')).includes('tcp . 8090 : 10.99.0.2 . 80') || undefined);
  }, 120_000);
  afterAll(async () => {
    await machine?.stop();
    await world?.cleanup();
  });

  const curl = (from: Netns, url: string) => nsExec(from, 'curl', ['-s', '-m', '5', url], { reject: false });

  withNspawn.it('keeps both tables working in one namespace and never touches io.systemd.nat', async () => {
    const ct = await world.container('ct');
    const zoneResult = await world.zoneAdd(ct, 'beside-nspawn');
    await startServer(world.sandbox, ct, 'ct');
    const nspawnV4 = await nftTable(world.host, 'ip', 'io.systemd.nat');
    const nspawnV6 = await nftTable(world.host, 'ip6', 'io.systemd.nat');
    const call = { containerId: 'beside-nspawn', container: ct, prevResult: zoneResult, mappings: [{ hostPort: 8080, containerPort: 80 }] };
    await world.portsOk('ADD', call);

    // nspawn's machine through its own table, from outside and from the host (not on localhost: systemd issue 6106)
    expect((await curl(world.external, `http://${HOST_UPLINK.v4}:8090/`)).stdout).toContain('hello from a cni-zones test machine');
    expect((await curl(world.host, `http://${HOST_UPLINK.v4}:8090/`)).stdout).toContain('hello from a cni-zones test machine');
    expect((await curl(world.host, 'http://127.0.0.1:8090/')).exitCode).not.toBe(0);
    // ours, localhost included
    expect(await probeMap(world.host, probesOf(['127.0.0.1', HOST_UPLINK.v4], 8080, ['tcp']))).toEqual({
      'tcp 127.0.0.1:8080': `ct ${GATEWAY.v4}`,
      'tcp 192.0.2.1:8080': `ct ${HOST_UPLINK.v4}`,
    });
    expect(await probeMap(world.external, probesOf([HOST_UPLINK.v4], 8080, ['tcp']))).toEqual({
      'tcp 192.0.2.1:8080': `ct ${EXTERNAL.v4}`,
    });

    await world.portsOk('DEL', call);
    expect(await nftTable(world.host, 'ip', 'io.systemd.nat')).toBe(nspawnV4);
    expect(await nftTable(world.host, 'ip6', 'io.systemd.nat')).toBe(nspawnV6);
    expect((await curl(world.external, `http://${HOST_UPLINK.v4}:8090/`)).stdout).toContain('hello from a cni-zones test machine');
  });
});

describe('zone with the portMappings capability, in-process', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };

  beforeAll(async () => {
    if (!priv.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
  }, 120_000);
  afterAll(() => world?.cleanup());

  const withPorts = (mappings: object[]) =>
    world.zoneConf({ capabilities: { portMappings: true }, runtimeConfig: { portMappings: mappings } });

  priv.it('publishes on ADD, checks on CHECK, removes on DEL', async () => {
    const ct = await world.container('ct');
    const conf = withPorts([
      { hostPort: 8080, containerPort: 80 },
      { hostPort: 5353, containerPort: 80, protocol: 'udp', hostIP: '127.0.0.1' },
    ]);
    const added = await world.zoneRun('ADD', ct, 'zone-inproc', conf);
    expect(added.exitCode, added.stdout + added.stderr).toBe(0);
    const result = added.json as CniResult;
    await startServer(world.sandbox, ct, 'ct');
    const answers = await probeMap(world.host, [
      ...probesOf(['127.0.0.1', HOST_UPLINK.v4, HOST_UPLINK.v6], 8080, ['tcp']),
      ...probesOf(['127.0.0.1', GATEWAY.v4], 5353, ['udp']),
    ]);
    expect(answers).toMatchObject({
      'tcp 127.0.0.1:8080': `ct ${GATEWAY.v4}`,
      'tcp 192.0.2.1:8080': `ct ${HOST_UPLINK.v4}`,
      'tcp [2001:db8::1]:8080': `ct ${HOST_UPLINK.v6}`,
      'udp 127.0.0.1:5353': `ct ${GATEWAY.v4}`,
    });
    // hostIP 127.0.0.1: localhost only
    expect(answers['udp 10.89.0.1:5353']).toMatch(/^(ECONNREFUSED|TIMEOUT)$/);
    const check = await world.zoneRun('CHECK', ct, 'zone-inproc', { ...conf, prevResult: result });
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);

    const del = await world.zoneRun('DEL', ct, 'zone-inproc', conf);
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    expect(await probeMap(world.host, probesOf(['127.0.0.1', HOST_UPLINK.v4], 8080, ['tcp']))).toEqual({
      'tcp 127.0.0.1:8080': 'ECONNREFUSED',
      'tcp 192.0.2.1:8080': 'ECONNREFUSED',
    });
    expect(await nftRuleset(world.host)).not.toContain('zone-inproc');
  });

  priv.it('a taken port fails the whole ADD (code 130) and rolls the attachment back', async () => {
    const first = await world.container('first');
    const second = await world.container('second');
    await world.zoneAdd(first, 'zone-holder', {
      capabilities: { portMappings: true },
      runtimeConfig: { portMappings: [{ hostPort: 8181, containerPort: 80 }] },
    });
    const refused = await world.zoneRun('ADD', second, 'zone-late', withPorts([{ hostPort: 8181, containerPort: 80 }]));
    expectCniError(refused, 130, /tcp\/(8181 \(IPv4\)|\[::1\]:8181) is already published by container zone-holder/);
    expect((await ipIn(second, '-o', 'link')).stdout).not.toContain('eth0');
    expect(await nftRuleset(world.host)).not.toContain('zone-late');
    const gc = await world.zoneRun('GC', undefined, 'x', {
      ...world.zoneConf({ capabilities: { portMappings: true } }),
      cniVersion: '1.1.0',
      'cni.dev/valid-attachments': [],
    });
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    expect(await nftRuleset(world.host)).not.toContain('zone-holder');
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
