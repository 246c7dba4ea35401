// zone-ports as a runtime runs it, chained behind the `zone` plugin (netlink backend) in a
// private "host" namespace: a container's TCP server and UDP echo published on the host,
// reached from the host itself (127.0.0.1, 127.0.0.5, the zone gateway, another host address,
// IPv6 addresses), from an "external" namespace through the host's uplink, and back from the
// zone (hairpin); hostIP restriction; [::1] refusing fast; DEL taking every path away.

import { afterAll, beforeAll, describe, expect } from 'vitest';
import { privileged } from '../support/privileges.js';
import {
  containerAddress,
  createPortsWorld,
  EXTERNAL,
  GATEWAY,
  HOST_UPLINK,
  type CniResult,
  type Mapping,
  nftRuleset,
  type PortsWorld,
  probe,
  probeMap,
  probesOf,
  portsTools,
  startServer,
  sysctl,
} from '../support/ports-world.js';
import type { Netns } from '../support/netns.js';
import type { PluginOutcome } from '../support/plugin-process.js';
import { recordsIn } from '../support/ports-census.js';

const priv = privileged(portsTools);

const PORT = 8080;
const RESTRICTED = 8443;
const mappings: Mapping[] = [
  { hostPort: PORT, containerPort: 80, protocol: 'tcp' },
  { hostPort: PORT, containerPort: 80, protocol: 'udp', hostIP: '' },
  { hostPort: RESTRICTED, containerPort: 80, protocol: 'tcp', hostIP: HOST_UPLINK.v4 },
];

const fromHost = [`127.0.0.1`, '127.0.0.5', GATEWAY.v4, HOST_UPLINK.v4, GATEWAY.v6, HOST_UPLINK.v6];

function allFail(answers: Record<string, string>): void {
  for (const [target, answer] of Object.entries(answers)) expect(answer, target).toMatch(/^(ECONNREFUSED|TIMEOUT|EHOSTUNREACH)$/);
}

describe('zone-ports behind zone', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let ct: Netns;
  let nb: Netns;
  let zoneResult: CniResult;
  let added: PluginOutcome;
  const id = 'ports-ct-1';

  beforeAll(async () => {
    if (!priv.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    ct = await world.container('ct');
    nb = await world.container('nb');
    zoneResult = await world.zoneAdd(ct, id);
    await world.zoneAdd(nb, 'ports-nb-1');
    await startServer(world.sandbox, ct, 'ct');
    added = await world.ports('ADD', { containerId: id, container: ct, mappings, prevResult: zoneResult });
  }, 120_000);
  afterAll(() => world?.cleanup());

  priv.it('ADD succeeds and hands the previous result on unchanged', () => {
    expect(added.exitCode, added.stdout + added.stderr).toBe(0);
    expect(added.json).toEqual(zoneResult);
  });

  priv.it('reaches the container from the host: 127.0.0.1, 127.0.0.5, gateway, uplink address, IPv6; TCP and UDP', async () => {
    const answers = await probeMap(world.host, probesOf(fromHost, PORT));
    // Loopback sources are masqueraded to the bridge's address; others keep their own.
    expect(answers).toEqual({
      'tcp 127.0.0.1:8080': `ct ${GATEWAY.v4}`,
      'udp 127.0.0.1:8080': `ct ${GATEWAY.v4}`,
      'tcp 127.0.0.5:8080': `ct ${GATEWAY.v4}`,
      'udp 127.0.0.5:8080': `ct ${GATEWAY.v4}`,
      'tcp 10.89.0.1:8080': `ct ${GATEWAY.v4}`,
      'udp 10.89.0.1:8080': `ct ${GATEWAY.v4}`,
      'tcp 192.0.2.1:8080': `ct ${HOST_UPLINK.v4}`,
      'udp 192.0.2.1:8080': `ct ${HOST_UPLINK.v4}`,
      'tcp [fd89::1]:8080': `ct ${GATEWAY.v6}`,
      'udp [fd89::1]:8080': `ct ${GATEWAY.v6}`,
      'tcp [2001:db8::1]:8080': `ct ${HOST_UPLINK.v6}`,
      'udp [2001:db8::1]:8080': `ct ${HOST_UPLINK.v6}`,
    });
  });

  priv.it('answers on [::1] through its proxy, never through a DNAT of IPv6 loopback; UDP is not served there', async () => {
    expect(await probeMap(world.host, [{ proto: 'tcp', host: '::1', port: PORT }])).toEqual({ 'tcp [::1]:8080': `ct ${GATEWAY.v6}` });
    expect(await probe(world.host, [{ proto: 'udp', host: '::1', port: PORT }], 1000)).not.toEqual([expect.stringMatching(/^ct /)]);
    expect(await nftRuleset(world.host)).not.toMatch(/::1 \. /);
  });

  priv.it('reaches the container from an external namespace through the host, source kept', async () => {
    expect(await probeMap(world.external, probesOf([HOST_UPLINK.v4, HOST_UPLINK.v6], PORT))).toEqual({
      'tcp 192.0.2.1:8080': `ct ${EXTERNAL.v4}`,
      'udp 192.0.2.1:8080': `ct ${EXTERNAL.v4}`,
      'tcp [2001:db8::1]:8080': `ct ${EXTERNAL.v6}`,
      'udp [2001:db8::1]:8080': `ct ${EXTERNAL.v6}`,
    });
  });

  priv.it('hairpin: the container itself and a zone neighbour reach it through host addresses', async () => {
    const targets = probesOf([HOST_UPLINK.v4, GATEWAY.v4, HOST_UPLINK.v6], PORT);
    const expected = {
      'tcp 192.0.2.1:8080': `ct ${GATEWAY.v4}`,
      'udp 192.0.2.1:8080': `ct ${GATEWAY.v4}`,
      'tcp 10.89.0.1:8080': `ct ${GATEWAY.v4}`,
      'udp 10.89.0.1:8080': `ct ${GATEWAY.v4}`,
      'tcp [2001:db8::1]:8080': `ct ${GATEWAY.v6}`,
      'udp [2001:db8::1]:8080': `ct ${GATEWAY.v6}`,
    };
    expect(await probeMap(ct, targets)).toEqual(expected);
    expect(await probeMap(nb, targets)).toEqual(expected);
  });

  priv.it('hostIP restricts a mapping to that address', async () => {
    const answers = await probeMap(world.host, probesOf([HOST_UPLINK.v4, GATEWAY.v4, '127.0.0.1', HOST_UPLINK.v6], RESTRICTED, ['tcp']));
    expect(answers['tcp 192.0.2.1:8443']).toBe(`ct ${HOST_UPLINK.v4}`);
    allFail({ ...answers, 'tcp 192.0.2.1:8443': 'ECONNREFUSED' });
    expect(await probe(world.external, [{ proto: 'tcp', host: HOST_UPLINK.v4, port: RESTRICTED }])).toEqual([`ct ${EXTERNAL.v4}`]);
  });

  priv.it('turns route_localnet on for the zone bridge only, with the CVE-2020-8558 guard in place', async () => {
    expect(await sysctl(world.host, 'net.ipv4.conf.vz-web.route_localnet')).toBe('1');
    expect(await sysctl(world.host, 'net.ipv4.conf.lo.route_localnet')).toBe('0');
    expect(await sysctl(world.host, 'net.ipv4.conf.all.route_localnet')).toBe('0');
    expect(await sysctl(world.host, 'net.ipv4.conf.up0.route_localnet')).toBe('0');
    expect(await nftRuleset(world.host)).toMatch(
      /iifname != "lo" ip daddr 127\.0\.0\.0\/8 ct status ! dnat ct state != \{ established, related \} drop/,
    );
  });

  priv.it('CHECK passes while everything is in place', async () => {
    await world.portsOk('CHECK', { containerId: id, container: ct, mappings, prevResult: zoneResult });
  });

  priv.it('after DEL (no prevResult) every path fails, nothing names the container, and DEL again succeeds', async () => {
    await world.portsOk('DEL', { containerId: id, container: ct, mappings });
    allFail(await probeMap(world.host, [...probesOf(fromHost, PORT), ...probesOf([HOST_UPLINK.v4], RESTRICTED, ['tcp'])]));
    allFail(await probeMap(world.external, probesOf([HOST_UPLINK.v4, HOST_UPLINK.v6], PORT)));
    allFail(await probeMap(ct, probesOf([HOST_UPLINK.v4, HOST_UPLINK.v6], PORT)));
    const ruleset = await nftRuleset(world.host);
    expect(ruleset).not.toContain(id);
    expect(ruleset).not.toContain(containerAddress(zoneResult, 4));
    expect(recordsIn(world.stateDir)).toEqual([]);
    await world.portsOk('DEL', { containerId: id, container: ct, mappings });
    await world.portsOk('DEL', { containerId: id });
  });
});
