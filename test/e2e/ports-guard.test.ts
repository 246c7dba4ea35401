// CVE-2020-8558: localhost exposure turns route_localnet on for the zone bridge, which would
// let anyone on the zone send packets to 127.0.0.1 on the host. The guard chain drops them.
// A neighbour on the zone is set up as an attacker would be (127.0.0.1 routed to the host over
// its eth0) and sends UDP to a service bound to 127.0.0.1 on the host: nothing arrives while
// the guard is there; with the guard chain emptied by hand the same packet does arrive (so the
// test proves something); the next ADD puts the guard back.

import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ipIn, type Netns, nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import { createPortsWorld, GATEWAY, type PortsWorld, probeMap, probesOf, portsTools, startServer, sysctl } from '../support/ports-world.js';

const priv = privileged(portsTools);
const SINK_PORT = 9998;

// Prints every datagram it gets on 127.0.0.1.
const sink = `
const u = require('node:dgram').createSocket('udp4');
u.on('message', (m, r) => console.log(String(m) + ' from ' + r.address));
u.bind(${SINK_PORT}, '127.0.0.1', () => console.log('listening'));
`;

const send = `
const u = require('node:dgram').createSocket('udp4');
u.send(process.argv[1], ${SINK_PORT}, '127.0.0.1', () => u.close());
`;

describe('CVE-2020-8558 guard', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let attacker: Netns;
  const received: string[] = [];

  beforeAll(async () => {
    if (!priv.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    const ct = await world.container('ct');
    attacker = await world.container('nb');
    const published = await world.zoneAdd(ct, 'guard-ct');
    await world.zoneAdd(attacker, 'guard-nb');
    await startServer(world.sandbox, ct, 'ct');
    await world.portsOk('ADD', {
      containerId: 'guard-ct',
      container: ct,
      prevResult: published,
      mappings: [{ hostPort: 8080, containerPort: 80 }],
    });

    const listener = world.sandbox.spawn(world.host, process.execPath, ['-e', sink]);
    await new Promise<void>((resolve, reject) => {
      listener.stdout?.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().trim().split('\n');
        if (lines.includes('listening')) resolve();
        received.push(...lines.filter((l) => l !== 'listening'));
      });
      listener.once('exit', () => reject(new Error('sink exited')));
    });

    // The attacker sends to 127.0.0.1 over its link to the host, not to its own lo.
    await ipIn(attacker, 'route', 'del', '127.0.0.0/8', 'dev', 'lo', 'table', 'local');
    await ipIn(attacker, 'route', 'del', '127.0.0.1', 'dev', 'lo', 'table', 'local');
    await ipIn(attacker, 'route', 'add', '127.0.0.1/32', 'via', GATEWAY.v4, 'dev', 'eth0');
    await nsExec(attacker, 'sysctl', ['-qw', 'net.ipv4.conf.all.route_localnet=1', 'net.ipv4.conf.eth0.route_localnet=1']);
  }, 120_000);
  afterAll(() => world?.cleanup());

  async function attack(message: string): Promise<boolean> {
    await nsExec(attacker, process.execPath, ['-e', send, message]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return received.some((line) => line.startsWith(`${message} `));
  }

  priv.it('has route_localnet on for the zone bridge: localhost reaches the published port', async () => {
    expect(await sysctl(world.host, 'net.ipv4.conf.vz-web.route_localnet')).toBe('1');
    expect(await probeMap(world.host, probesOf(['127.0.0.1'], 8080, ['tcp']))).toEqual({ 'tcp 127.0.0.1:8080': `ct ${GATEWAY.v4}` });
  });

  priv.it('keeps a zone neighbour away from a service bound to 127.0.0.1 on the host', async () => {
    expect(await attack('with-guard')).toBe(false);
  });

  priv.it('is what stops it: with the guard chain emptied the packet arrives, the next ADD restores the guard', async () => {
    await nsExec(world.host, 'nft', ['flush', 'chain', 'inet', 'cni_zones', 'ports_guard']);
    expect(await attack('no-guard')).toBe(true);
    expect(received.find((line) => line.startsWith('no-guard '))).toMatch(/ from 10\.89\.0\.\d+$/);
    await world.portsOk('ADD', {
      containerId: 'guard-other',
      prevResult: { cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.89.0.200/24' }] },
      mappings: [{ hostPort: 8081, containerPort: 80 }],
    });
    expect(await attack('guard-back')).toBe(false);
  });
});
