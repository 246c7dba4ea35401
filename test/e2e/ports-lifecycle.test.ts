// zone-ports over an attachment's life, in real namespaces with real nftables: a taken host
// port refused (code 130, the holder named, nothing changed), concurrent ADDs and DELs, the
// `localhost` switch, invalid mappings, a ruleset flushed away (CHECK reports it, the next ADD
// rebuilds), GC by valid attachments, DEL without record or prevResult, and STATUS with
// libnftables alone and without it and nft.

import { readdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { nsExec, type Netns } from '../support/netns.js';
import { recordsIn } from '../support/ports-census.js';
import { privileged } from '../support/privileges.js';
import { runPlugin } from '../support/plugin-process.js';
import {
  type CniResult,
  createPortsWorld,
  expectCniError,
  GATEWAY,
  HOST_UPLINK,
  nftRuleset,
  nftTable,
  type PortsWorld,
  probeMap,
  probesOf,
  portsTools,
  startServer,
} from '../support/ports-world.js';

const priv = privileged([...portsTools, 'unshare', 'mount']);
const PORT_CONFLICT = 130;
const CHECK_FAILED = 131;

/** The file the dynamic loader opens for libnftables.so.1 (symlinks resolved), from its cache. */
async function libnftablesFile(): Promise<string> {
  const { stdout } = await execa('ldconfig', ['-p']);
  const path = /\blibnftables\.so\.1 \(.*\) => (\S+)/.exec(stdout)?.[1];
  if (path === undefined) throw new Error('libnftables.so.1 is not in the ld.so cache');
  return realpathSync(path);
}

/** A prevResult for a container that need not exist: zone-ports only reads addresses from it. */
function fakeResult(n: number): CniResult {
  return {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'vz-web' }, { name: `vzfake${n}` }, { name: 'eth0', sandbox: `/run/netns/fake${n}` }],
    ips: [{ address: `10.89.0.${100 + n}/24`, gateway: GATEWAY.v4, interface: 2 }],
  };
}

describe('zone-ports lifecycle', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let ct1: Netns;
  let ct2: Netns;
  let r1: CniResult;
  let r2: CniResult;

  beforeAll(async () => {
    if (!priv.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    ct1 = await world.container('ct1');
    ct2 = await world.container('ct2');
    r1 = await world.zoneAdd(ct1, 'life-1');
    r2 = await world.zoneAdd(ct2, 'life-2');
    await startServer(world.sandbox, ct1, 'ct1');
    await startServer(world.sandbox, ct2, 'ct2');
  }, 120_000);
  afterAll(() => world?.cleanup());

  const add = (containerId: string, container: Netns | undefined, prevResult: CniResult, mappings: object[], conf?: object) =>
    world.ports('ADD', { containerId, ...(container && { container }), prevResult, mappings: mappings as never, ...(conf && { conf }) });

  priv.it('refuses invalid mappings and a missing prevResult with code 7, before touching nftables', async () => {
    expectCniError(
      await add('bad', ct1, r1, [{ hostPort: 0, containerPort: 80 }]),
      7,
      /hostPort must be an integer from 1 to 65535, got 0/,
    );
    expectCniError(await add('bad', ct1, r1, [{ hostPort: 80, containerPort: 80, protocol: 'icmp' }]), 7, /unknown protocol "icmp"/);
    expectCniError(await add('bad', ct1, r1, [{ hostPort: 80, containerPort: 80, hostIP: 'localhost' }]), 7, /not an IP address/);
    const v6loop = expectCniError(
      await add('bad', ct1, r1, [{ hostPort: 80, containerPort: 80, hostIP: '::1', protocol: 'udp' }]),
      7,
      /udp cannot be published on hostIP ::1/,
    );
    expect(v6loop.details).toMatch(/TCP only/);
    expectCniError(
      await world.ports('ADD', { containerId: 'bad', container: ct1, mappings: [{ hostPort: 80, containerPort: 80 }] }),
      7,
      /needs a prevResult/,
    );
    expect(await nftRuleset(world.host)).not.toContain('ports_');
  });

  priv.it('refuses a host port another container holds, naming it, and changes nothing', async () => {
    await world.portsOk('ADD', {
      containerId: 'life-1',
      container: ct1,
      prevResult: r1,
      mappings: [{ hostPort: 9000, containerPort: 80 }],
    });
    const before = await nftTable(world.host, 'inet', 'cni_zones');
    const states = readdirSync(world.stateDir);
    const wanted = [
      { hostPort: 9001, containerPort: 80 },
      { hostPort: 9000, containerPort: 80 },
    ];
    // [::1] is taken first, before any change: its proxy names the holder.
    expectCniError(
      await add('life-2', ct2, r2, wanted),
      PORT_CONFLICT,
      /host port tcp\/\[::1\]:9000 is already published by container life-1 \(ifname eth0, network web\)/,
    );
    // Without [::1], nft's claims conflict, and every one of them is named.
    const refused = await add('life-2', ct2, r2, wanted, { localhost: 'ipv4' });
    const error = expectCniError(
      refused,
      PORT_CONFLICT,
      /host port tcp\/9000 \(IPv4\) is already published by container life-1 \(ifname eth0, network web\)/,
    );
    expect(error.msg).toMatch(/tcp\/9000 \(IPv6\)/);
    expect(await nftTable(world.host, 'inet', 'cni_zones')).toBe(before);
    expect(readdirSync(world.stateDir)).toEqual(states);
    expect(await probeMap(world.host, probesOf(['127.0.0.1', HOST_UPLINK.v4], 9000, ['tcp']))).toEqual({
      'tcp 127.0.0.1:9000': `ct1 ${GATEWAY.v4}`,
      'tcp 192.0.2.1:9000': `ct1 ${HOST_UPLINK.v4}`,
    });
  });

  priv.it('lets a port on one host address and the same port on every address lead to different containers', async () => {
    await world.portsOk('ADD', {
      containerId: 'life-1',
      container: ct1,
      prevResult: r1,
      mappings: [
        { hostPort: 9000, containerPort: 80 },
        { hostPort: 9002, containerPort: 80, hostIP: HOST_UPLINK.v4 },
      ],
    });
    await world.portsOk('ADD', {
      containerId: 'life-2',
      container: ct2,
      prevResult: r2,
      mappings: [{ hostPort: 9002, containerPort: 80 }],
    });
    expect(await probeMap(world.host, probesOf([HOST_UPLINK.v4, GATEWAY.v4, '127.0.0.1'], 9002, ['tcp']))).toEqual({
      'tcp 192.0.2.1:9002': `ct1 ${HOST_UPLINK.v4}`,
      'tcp 10.89.0.1:9002': `ct2 ${GATEWAY.v4}`,
      'tcp 127.0.0.1:9002': `ct2 ${GATEWAY.v4}`,
    });
    // the repeated ADD of life-1 replaced its own entries: still exactly one holder per key
    expect((await nftRuleset(world.host)).match(/tcp \. 9000 comment/g)).toHaveLength(2);
  });

  priv.it('with "localhost": false publishes everywhere but on 127.0.0.0/8, beside containers that do', async () => {
    await world.portsOk('ADD', {
      containerId: 'life-2',
      container: ct2,
      prevResult: r2,
      mappings: [{ hostPort: 9100, containerPort: 80 }],
      conf: { localhost: false },
    });
    const answers = await probeMap(world.host, probesOf(['127.0.0.1', '127.0.0.9', GATEWAY.v4, HOST_UPLINK.v6], 9100, ['tcp']));
    expect(answers).toEqual({
      'tcp 127.0.0.1:9100': 'ECONNREFUSED',
      'tcp 127.0.0.9:9100': 'ECONNREFUSED',
      'tcp 10.89.0.1:9100': `ct2 ${GATEWAY.v4}`,
      'tcp [2001:db8::1]:9100': `ct2 ${HOST_UPLINK.v6}`,
    });
    expect((await probeMap(world.host, probesOf(['127.0.0.1'], 9000, ['tcp'])))['tcp 127.0.0.1:9000']).toBe(`ct1 ${GATEWAY.v4}`);
    expectCniError(
      await add('life-2', ct2, r2, [{ hostPort: 9101, containerPort: 80, hostIP: '127.0.0.1' }], { localhost: false }),
      7,
      /localhost only/,
    );
  });

  priv.it('lands every one of concurrent ADDs with distinct ports, and removes them all with concurrent DELs', async () => {
    const n = 12;
    const ids = Array.from({ length: n }, (_, i) => `many-${i}`);
    const outcomes = await Promise.all(
      ids.map((containerId, i) =>
        add(containerId, undefined, fakeResult(i), [
          { hostPort: 9200 + i, containerPort: 80 },
          { hostPort: 9200 + i, containerPort: 80, protocol: 'udp' },
        ]),
      ),
    );
    outcomes.forEach((o, i) => expect(o.exitCode, `${ids[i]}: ${o.stdout}${o.stderr}`).toBe(0));
    const map = (await nsExec(world.host, 'nft', ['list', 'map', 'inet', 'cni_zones', 'ports_any_v4'])).stdout;
    ids.forEach((containerId, i) => {
      expect(map).toContain(`tcp . ${9200 + i} comment "ports web ${containerId} eth0" : 10.89.0.${100 + i} . 80`);
      expect(map).toContain(`udp . ${9200 + i} comment "ports web ${containerId} eth0" : 10.89.0.${100 + i} . 80`);
    });
    const dels = await Promise.all(ids.map((containerId) => world.ports('DEL', { containerId, mappings: [] as never })));
    dels.forEach((o, i) => expect(o.exitCode, `${ids[i]}: ${o.stdout}${o.stderr}`).toBe(0));
    expect(await nftRuleset(world.host)).not.toContain('many-');
  });

  priv.it('after `nft flush ruleset`: CHECK reports what is missing, the next ADD rebuilds the table', async () => {
    await nsExec(world.host, 'nft', ['flush', 'ruleset']);
    const mappings1 = [
      { hostPort: 9000, containerPort: 80 },
      { hostPort: 9002, containerPort: 80, hostIP: HOST_UPLINK.v4 },
    ];
    const gone = await world.ports('CHECK', { containerId: 'life-1', container: ct1, prevResult: r1, mappings: mappings1 });
    expectCniError(gone, CHECK_FAILED, /table inet cni_zones is missing .*tcp\/9000 \(IPv4\) → 10\.89\.0\.\d+:80/);
    expect(await probeMap(world.host, probesOf(['127.0.0.1'], 9000, ['tcp']))).toEqual({ 'tcp 127.0.0.1:9000': 'ECONNREFUSED' });

    const mappings2 = [{ hostPort: 9300, containerPort: 80 }];
    await world.portsOk('ADD', { containerId: 'life-2', container: ct2, prevResult: r2, mappings: mappings2 });
    expect(await probeMap(world.host, probesOf(['127.0.0.1', HOST_UPLINK.v4], 9300, ['tcp']))).toEqual({
      'tcp 127.0.0.1:9300': `ct2 ${GATEWAY.v4}`,
      'tcp 192.0.2.1:9300': `ct2 ${HOST_UPLINK.v4}`,
    });
    const still = await world.ports('CHECK', { containerId: 'life-1', container: ct1, prevResult: r1, mappings: mappings1 });
    const error = expectCniError(still, CHECK_FAILED, /tcp\/9000 \(IPv4\) → 10\.89\.0\.\d+:80 is missing/);
    expect(error.msg).toMatch(/tcp\/192\.0\.2\.1:9002 → .* is missing/);
    await world.portsOk('CHECK', { containerId: 'life-2', container: ct2, prevResult: r2, mappings: mappings2 });
    // ct1 comes back with a fresh ADD
    await world.portsOk('ADD', { containerId: 'life-1', container: ct1, prevResult: r1, mappings: mappings1 });
    await world.portsOk('CHECK', { containerId: 'life-1', container: ct1, prevResult: r1, mappings: mappings1 });
  });

  priv.it('CHECK names a mapping another attachment took over and a chain flushed by hand', async () => {
    await nsExec(world.host, 'nft', ['flush', 'chain', 'inet', 'cni_zones', 'ports_output']);
    const outcome = await world.ports('CHECK', {
      containerId: 'life-2',
      container: ct2,
      prevResult: r2,
      mappings: [{ hostPort: 9000, containerPort: 80 }],
    });
    const error = expectCniError(outcome, CHECK_FAILED, /chain ports_output has 0 rules, expected 2/);
    expect(error.msg).toMatch(/tcp\/9000 \(IPv4\) → 10\.89\.0\.\d+:80 is held by container life-1/);
    // any ADD rewrites the fixed rules
    await world.portsOk('ADD', {
      containerId: 'life-2',
      container: ct2,
      prevResult: r2,
      mappings: [{ hostPort: 9300, containerPort: 80 }],
    });
    expect(await probeMap(world.host, probesOf(['127.0.0.1'], 9300, ['tcp']))).toEqual({ 'tcp 127.0.0.1:9300': `ct2 ${GATEWAY.v4}` });
  });

  priv.it('GC removes the mappings of attachments that are no longer valid, and only those', async () => {
    const gc = await world.ports('GC', {
      containerId: 'ignored',
      conf: { cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: 'life-2', ifname: 'eth0' }] },
    });
    expect(gc.exitCode, gc.stdout + gc.stderr).toBe(0);
    const ruleset = await nftRuleset(world.host);
    expect(ruleset).not.toContain('life-1');
    expect(ruleset).toContain('ports web life-2 eth0');
    expect(recordsIn(world.stateDir)).toHaveLength(1);
    expect(await probeMap(world.host, probesOf(['127.0.0.1'], 9000, ['tcp']))).toEqual({ 'tcp 127.0.0.1:9000': 'ECONNREFUSED' });
    expect(await probeMap(world.host, probesOf(['127.0.0.1'], 9300, ['tcp']))).toEqual({ 'tcp 127.0.0.1:9300': `ct2 ${GATEWAY.v4}` });
  });

  priv.it('DEL without record, prevResult or runtimeConfig finds the entries by their tag', async () => {
    for (const name of readdirSync(world.stateDir)) rmSync(join(world.stateDir, name));
    await world.portsOk('DEL', { containerId: 'life-2' });
    expect(await nftRuleset(world.host)).not.toContain('life-2');
    expect(await probeMap(world.host, probesOf(['127.0.0.1'], 9300, ['tcp']))).toEqual({ 'tcp 127.0.0.1:9300': 'ECONNREFUSED' });
    // the fixed ruleset stays for the next attachment; it names nobody
    expect(await nftRuleset(world.host)).toContain('chain ports_output');
  });

  priv.it('STATUS passes with libnftables alone, and fails with code 50 without it and nft', async () => {
    const status = { containerId: 'status', conf: { cniVersion: '1.1.0' } };
    await world.portsOk('STATUS', status);
    const library = await libnftablesFile();
    // A mount namespace of its own, with these files hidden behind /dev/null (/usr/sbin/nft and
    // /sbin/nft are the same file).
    const statusHiding = (files: string[]) =>
      runPlugin(world.bundles.zonePorts, {
        command: 'STATUS',
        path: '/usr/lib/cni',
        stdin: world.portsConf(status),
        nsenter: [
          `--net=${world.host.path}`,
          '--',
          ...[
            'unshare',
            '--mount',
            '--propagation',
            'private',
            'sh',
            '-c',
            `${files.map((f) => `mount --bind /dev/null ${f} && `).join('')}exec "$1"`,
          ],
        ],
      });
    const libraryOnly = await statusHiding(['/usr/sbin/nft']);
    expect(libraryOnly.exitCode, libraryOnly.stdout + libraryOnly.stderr).toBe(0);
    // The binary links the library, so hiding the library takes both away.
    const neither = await statusHiding(['/usr/sbin/nft', library]);
    expectCniError(neither, 50, /nftables is not available/);
    expect(JSON.stringify(neither.json)).toContain('neither libnftables.so.1 nor the nft binary can be used');
  });
});
