// lib/rtnl against the kernel, from the test process: a client opened inside a "host" test
// namespace builds a bridge, a veth whose peer is created straight in a container namespace
// as eth0, hairpin, addresses v4/v6, a default route in the container through a second client,
// then real TCP across the bridge, and removes it all. `ip`/`bridge` in the namespaces are
// the independent witnesses.

import { afterAll, beforeAll, expect } from 'vitest';
import { isNetnsNotFound } from '../../lib/netns/errors.js';
import { openNetns, type NetnsHandle } from '../../lib/netns/open.js';
import { Rtnl } from '../../lib/rtnl/client.js';
import { isRtnlExists, isRtnlNotFound } from '../../lib/rtnl/errors.js';
import type { Link } from '../../lib/rtnl/links.js';
import { createSandbox, ipIn, nsExec, type Netns, type Sandbox } from '../support/netns.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['ip', 'bridge', 'nsenter']);

// One line in, the same line back with a prefix; "ready" once listening on every address.
const echoServer = `
const server = require('node:net').createServer((s) => s.on('data', (d) => { s.end('echo ' + d); }));
server.listen(8080, '::', () => console.log('ready'));`;

const echoClient = `
const [host, text] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: 8080, timeout: 5000 }, () => s.write(text));
let got = ''; s.on('data', (d) => { got += d; });
s.on('end', () => { console.log(got); process.exit(0); });
s.on('timeout', () => { console.error('timeout'); process.exit(2); });
s.on('error', (e) => { console.error(e.message); process.exit(3); });`;

interface IpLinkJson {
  ifname: string;
  mtu: number;
  address: string;
  master?: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
}

async function ipJson<T>(ns: Netns, ...args: string[]): Promise<T> {
  return JSON.parse((await ipIn(ns, '-j', ...args)).stdout) as T;
}

async function startEchoServer(sandbox: Sandbox, ns: Netns): Promise<void> {
  const server = sandbox.spawn(ns, process.execPath, ['-e', echoServer]);
  await new Promise<void>((resolve, reject) => {
    server.stdout?.once('data', () => resolve());
    server.once('exit', () => reject(new Error('echo server exited')));
  });
}

async function tcpExchange(from: Netns, host: string, text: string): Promise<string> {
  const result = await nsExec(from, process.execPath, ['-e', echoClient, host, text], { timeout: 15_000 });
  return result.stdout.trim();
}

priv.describe('lib/rtnl in real namespaces', () => {
  let sandbox: Sandbox;
  let ctr: Netns;
  let ctr2: Netns;
  let ctrHandle: NetnsHandle;
  let ctr2Handle: NetnsHandle;
  let host: Rtnl;
  let guest: Rtnl;
  let guest2: Rtnl;

  beforeAll(async () => {
    sandbox = await createSandbox();
    ctr = await sandbox.container('ctr');
    ctr2 = await sandbox.container('ctr2');
    ctrHandle = openNetns(ctr.path);
    ctr2Handle = openNetns(ctr2.path);
    host = await Rtnl.open(sandbox.host.path);
    guest = await Rtnl.open(ctrHandle);
    guest2 = await Rtnl.open(ctr2Handle);
    sandbox.defer(() => [host, guest, guest2, ctrHandle, ctr2Handle].forEach((x) => x?.close()));
  });
  afterAll(() => sandbox?.cleanup());

  let bridge: Link;
  let port: Link;

  priv.it('creates a bridge in the namespace it was opened in', async () => {
    bridge = await host.createBridge('czt-br0', { mtu: 1400 });
    expect(bridge).toMatchObject({ name: 'czt-br0', kind: 'bridge', mtu: 1400, up: false });
    await host.setUp(bridge);
    const [seen] = await ipJson<IpLinkJson[]>(sandbox.host, '-d', 'link', 'show', 'czt-br0');
    expect(seen?.linkinfo?.info_kind).toBe('bridge');
    expect(seen?.flags).toContain('UP');
    expect(isRtnlExists(await host.createBridge('czt-br0').catch((e: unknown) => e))).toBe(true);
  });

  priv.it('creates a veth whose peer appears in the container namespace as eth0', async () => {
    port = await host.createVeth({ name: 'vh-ctr', peerName: 'eth0', peerNetns: ctrHandle, mtu: 1400, peerMac: '02:00:00:00:00:42' });
    expect(port).toMatchObject({ name: 'vh-ctr', kind: 'veth', mtu: 1400 });
    expect(port.peerNetnsId).toBeDefined();
    expect(await host.getLink('eth0')).toBeUndefined();

    const [peer] = await ipJson<IpLinkJson[]>(ctr, 'link', 'show', 'eth0');
    expect(peer).toMatchObject({ ifname: 'eth0', mtu: 1400, address: '02:00:00:00:00:42' });
    const eth0 = await guest.getLink('eth0');
    expect(eth0).toMatchObject({ kind: 'veth', mac: '02:00:00:00:00:42', mtu: 1400 });
    expect(await guest.getLinkByIndex(eth0!.index)).toEqual(eth0);
  });

  priv.it('enslaves the host end to the bridge with hairpin on', async () => {
    await host.setMaster(port, bridge);
    await host.setHairpin(port, true);
    await host.setUp(port);

    const [seen] = await ipJson<IpLinkJson[]>(sandbox.host, '-d', 'link', 'show', 'vh-ctr');
    expect(seen?.master).toBe('czt-br0');
    expect(seen?.linkinfo?.info_slave_data?.hairpin).toBe(true);
    const bridgeView = JSON.parse((await nsExec(sandbox.host, 'bridge', ['-j', '-d', 'link', 'show', 'dev', 'vh-ctr'])).stdout);
    expect(bridgeView[0]?.hairpin).toBe(true);
    expect(await host.getLink('vh-ctr')).toMatchObject({ master: bridge.index, portKind: 'bridge', hairpin: true, up: true });

    await host.setHairpin('vh-ctr', false);
    expect((await host.getLink('vh-ctr'))?.hairpin).toBe(false);
    await host.setHairpin('vh-ctr', true);
  });

  priv.it('adds v4 and v6 addresses on both sides', async () => {
    await host.addAddress(bridge, '10.99.0.1/24');
    await host.addAddress(bridge, 'fd99::1/64', { noDad: true });
    await guest.setUp('eth0');
    await guest.setUp('lo');
    await guest.addAddress('eth0', '10.99.0.2/24');
    await guest.addAddress('eth0', 'fd99::2/64', { noDad: true });

    const hostAddresses = await host.listAddresses(bridge);
    expect(hostAddresses.map((a) => a.cidr)).toEqual(expect.arrayContaining(['10.99.0.1/24', 'fd99::1/64']));
    expect(hostAddresses.find((a) => a.family === 4)?.broadcast).toBe('10.99.0.255');
    const v6 = (await guest.listAddresses('eth0', { family: 6 })).find((a) => a.address === 'fd99::2');
    expect(v6).toMatchObject({ noDad: true, tentative: false });

    const [seen] = await ipJson<{ addr_info: { local: string; prefixlen: number; broadcast?: string }[] }[]>(
      ctr,
      'address',
      'show',
      'eth0',
    );
    expect(seen?.addr_info).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ local: '10.99.0.2', prefixlen: 24, broadcast: '10.99.0.255' }),
        expect.objectContaining({ local: 'fd99::2', prefixlen: 64 }),
      ]),
    );
    expect(isRtnlExists(await guest.addAddress('eth0', '10.99.0.2/24').catch((e: unknown) => e))).toBe(true);
  });

  priv.it('adds default routes through the gateway in the container', async () => {
    await guest.addRoute({ dst: 'default', gw: '10.99.0.1', dev: 'eth0' });
    await guest.addRoute({ dst: 'default', gw: 'fd99::1', dev: 'eth0' });
    await guest.addRoute({ dst: '198.51.100.0/24', gw: '10.99.0.1', dev: 'eth0', metric: 50, mtu: 1300 });

    const routes = await guest.listRoutes('eth0');
    expect(routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ dst: '0.0.0.0/0', gw: '10.99.0.1', protocol: 'boot' }),
        expect.objectContaining({ dst: '::/0', gw: 'fd99::1' }),
        expect.objectContaining({ dst: '198.51.100.0/24', metric: 50, mtu: 1300 }),
      ]),
    );
    const v4 = await ipJson<{ dst: string; gateway?: string; dev: string }[]>(ctr, '-4', 'route', 'show', 'default');
    expect(v4).toEqual([expect.objectContaining({ dst: 'default', gateway: '10.99.0.1', dev: 'eth0' })]);
    const v6 = await ipJson<{ dst: string; gateway?: string }[]>(ctr, '-6', 'route', 'show', 'default');
    expect(v6).toEqual([expect.objectContaining({ dst: 'default', gateway: 'fd99::1' })]);
    expect(isRtnlExists(await guest.addRoute({ dst: 'default', gw: '10.99.0.1', dev: 'eth0' }).catch((e: unknown) => e))).toBe(true);
  });

  priv.it('carries TCP between the namespaces over v4 and v6', async () => {
    // A second container on the same bridge, built the same way, as the client.
    const port2 = await host.createVeth({ name: 'vh-ctr2', peerName: 'eth0', peerNetns: ctr2Handle, mtu: 1400 });
    await host.setMaster(port2, bridge);
    await host.setUp(port2);
    await guest2.setUp('eth0');
    await guest2.addAddress('eth0', '10.99.0.3/24');
    await guest2.addAddress('eth0', 'fd99::3/64', { noDad: true });
    await guest2.addRoute({ dst: 'default', gw: '10.99.0.1', dev: 'eth0' });

    await startEchoServer(sandbox, ctr);
    expect(await tcpExchange(sandbox.host, '10.99.0.2', 'host-v4')).toBe('echo host-v4');
    expect(await tcpExchange(sandbox.host, 'fd99::2', 'host-v6')).toBe('echo host-v6');
    expect(await tcpExchange(ctr2, '10.99.0.2', 'ctr2-v4')).toBe('echo ctr2-v4');
    expect(await tcpExchange(ctr2, 'fd99::2', 'ctr2-v6')).toBe('echo ctr2-v6');
  });

  priv.it('deletes routes, addresses and links, and says so when they are already gone', async () => {
    await guest.deleteRoute({ dst: '198.51.100.0/24', gw: '10.99.0.1', dev: 'eth0' });
    await guest.deleteRoute({ dst: 'default', gw: 'fd99::1', dev: 'eth0' });
    await guest.deleteRoute({ dst: 'default', gw: '10.99.0.1' });
    expect(isRtnlNotFound(await guest.deleteRoute({ dst: 'default', gw: '10.99.0.1' }).catch((e: unknown) => e))).toBe(true);
    expect(await guest.listRoutes('eth0', { family: 4 })).toEqual([expect.objectContaining({ dst: '10.99.0.0/24', protocol: 'kernel' })]);

    await guest.deleteAddress('eth0', '10.99.0.2/24');
    await guest.deleteAddress('eth0', 'fd99::2/64');
    expect(isRtnlNotFound(await guest.deleteAddress('eth0', '10.99.0.2/24').catch((e: unknown) => e))).toBe(true);
    expect((await guest.listAddresses('eth0')).map((a) => a.address).filter((a) => !a.startsWith('fe80:'))).toEqual([]);

    // Deleting the host end takes the peer in the container with it.
    expect(await host.deleteLinkIfExists('vh-ctr')).toBe(true);
    expect(await guest.getLink('eth0')).toBeUndefined();
    expect(await host.deleteLinkIfExists('vh-ctr')).toBe(false);
    expect(isRtnlNotFound(await host.deleteLink('vh-ctr').catch((e: unknown) => e))).toBe(true);
    await host.deleteLink('vh-ctr2');
    await host.deleteLink(bridge);

    const left = await ipJson<IpLinkJson[]>(sandbox.host, 'link', 'show');
    expect(left.map((l) => l.ifname)).toEqual(['lo']);
    expect((await host.listLinks()).map((l) => l.name)).toEqual(['lo']);
    expect((await ipJson<IpLinkJson[]>(ctr, 'link', 'show')).map((l) => l.ifname)).toEqual(['lo']);
  });

  priv.it('opens a client on a path for that namespace only, and a missing path is not-found', async () => {
    // A client for the test process's own namespace would see its links; this one sees only lo.
    const other = await Rtnl.open(ctr.path);
    try {
      expect((await other.listLinks()).map((l) => l.name)).toEqual(['lo']);
    } finally {
      other.close();
    }
    const missing = await Rtnl.open('/run/netns/czt-no-such-namespace').catch((e: unknown) => e);
    expect(isNetnsNotFound(missing)).toBe(true);
  });
});
