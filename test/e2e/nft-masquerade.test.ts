// The zone masquerade (lib/nft/masquerade.ts) moving real packets: a "host" namespace
// routes between a zone bridge and an uplink namespace. A TCP server on the far side
// answers with the peer address it sees: the container's own address without the zone's
// masquerade, the host's uplink address with it, and the container's own again for
// traffic the host routes back out through the zone bridge. IPv4 and IPv6.

import { afterAll, beforeAll, expect } from 'vitest';
import { ProcessExecutor } from '../../lib/nft/executor.js';
import { addZoneMasquerade, removeZoneMasquerade } from '../../lib/nft/masquerade.js';
import { NftTable } from '../../lib/nft/table.js';
import { addAddress, createSandbox, ipIn, type Netns, nsExec, type Sandbox } from '../support/netns.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['nft', 'nsenter', 'ip', 'sysctl']);

const PORT = 8080;
const zone = { zone: 'web', bridge: 'vz-web', subnets: ['10.89.0.0/24', 'fd89::/64'] };

// Answers every connection with the peer address it sees (v4-mapped written as plain v4).
const peerServer = `
const server = require('node:net').createServer((socket) => {
  socket.end(socket.remoteAddress.replace(/^::ffff:/, '') + '\\n');
});
server.listen(${PORT}, '::', () => console.log('listening'));
`;

const client = `
const [host, port] = process.argv.slice(1);
const socket = require('node:net').connect({ host, port: Number(port), timeout: 4000 });
let data = '';
socket.on('data', (chunk) => (data += chunk));
socket.on('end', () => process.stdout.write(data.trim()));
socket.on('timeout', () => { console.error('timeout'); process.exit(2); });
`;

priv.describe('zone masquerade with real traffic', () => {
  let sandbox: Sandbox;
  let container: Netns;
  let table: NftTable;

  async function startServer(ns: Netns): Promise<void> {
    const server = sandbox.spawn(ns, process.execPath, ['-e', peerServer]);
    await new Promise<void>((resolve, reject) => {
      server.stdout?.once('data', () => resolve());
      server.once('exit', () => reject(new Error('peer server exited')));
    });
  }

  async function peerSeenBy(address: string): Promise<string> {
    const { stdout } = await nsExec(container, process.execPath, ['-e', client, address, String(PORT)], { timeout: 10_000 });
    return stdout;
  }

  beforeAll(async () => {
    sandbox = await createSandbox();
    const { host } = sandbox;
    container = await sandbox.container('ct');
    const sameBridge = await sandbox.container('ct2');
    const uplink = await sandbox.container('out');

    // host: the zone bridge carries the zone subnets and a second subnet (10.90.0.0/24)
    await ipIn(host, 'link', 'add', zone.bridge, 'type', 'bridge');
    await addAddress(host, zone.bridge, '10.89.0.1/24');
    await addAddress(host, zone.bridge, 'fd89::1/64');
    await addAddress(host, zone.bridge, '10.90.0.1/24');
    for (const [ns, port, cidrs, routes] of [
      [
        container,
        'vb-ct',
        ['10.89.0.2/24', 'fd89::2/64'],
        [
          ['default', '10.89.0.1'],
          ['default', 'fd89::1'],
        ],
      ],
      [sameBridge, 'vb-ct2', ['10.90.0.2/24'], [['default', '10.90.0.1']]],
    ] as const) {
      await sandbox.connect(host, ns, { nameA: port, nameB: 'eth0' });
      await ipIn(host, 'link', 'set', port, 'master', zone.bridge);
      for (const cidr of cidrs) await addAddress(ns, 'eth0', cidr);
      for (const [dst, via] of routes) await ipIn(ns, 'route', 'add', dst, 'via', via);
    }
    // uplink: routes back to the zone, so unmasqueraded traffic works too and shows its source
    await sandbox.connect(host, uplink, { nameA: 'up0', nameB: 'eth0' });
    await addAddress(host, 'up0', '192.0.2.1/24');
    await addAddress(host, 'up0', '2001:db8::1/64');
    await addAddress(uplink, 'eth0', '192.0.2.2/24');
    await addAddress(uplink, 'eth0', '2001:db8::2/64');
    await ipIn(uplink, 'route', 'add', '10.89.0.0/24', 'via', '192.0.2.1');
    await ipIn(uplink, 'route', 'add', 'fd89::/64', 'via', '2001:db8::1');
    await nsExec(host, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);

    await startServer(uplink);
    await startServer(sameBridge);
    table = new NftTable('cni_zones', new ProcessExecutor({ netns: host.path }));
  });
  afterAll(() => sandbox?.cleanup());

  priv.it('leaves the source alone without the zone masquerade', async () => {
    expect(await peerSeenBy('192.0.2.2')).toBe('10.89.0.2');
    expect(await peerSeenBy('2001:db8::2')).toBe('fd89::2');
  });

  priv.it('masquerades zone traffic leaving through the uplink, not through the zone bridge', async () => {
    await table.apply(addZoneMasquerade(table.transaction(), zone));
    expect(await peerSeenBy('192.0.2.2')).toBe('192.0.2.1');
    expect(await peerSeenBy('2001:db8::2')).toBe('2001:db8::1');
    // routed by the host, but back out through vz-web: unchanged
    expect(await peerSeenBy('10.90.0.2')).toBe('10.89.0.2');
  });

  priv.it('stops masquerading once the zone is removed', async () => {
    await table.apply(removeZoneMasquerade(table.transaction(), zone.zone, await table.list()));
    expect(await peerSeenBy('192.0.2.2')).toBe('10.89.0.2');
    expect(await peerSeenBy('2001:db8::2')).toBe('fd89::2');
  });
});
