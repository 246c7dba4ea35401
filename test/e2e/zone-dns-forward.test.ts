// Names outside the zone, through the name server the zone plugin starts: it forwards them to the
// nameservers of /etc/resolv.conf as it reads it at start (lib/dns/main.ts). The plugin's ADD runs
// in a mount namespace of its own whose /etc/resolv.conf is a file of the test naming 127.0.0.1
// (plugin-process.ts `binds`), and a stub resolver listens on 127.0.0.1:53 of the sandbox's host
// namespace; the detached server inherits that mount namespace and sees that file. From a member,
// `example.test.` at the gateway (v4 and v6) gets the stub's answer, a name of the zone is
// answered without asking the stub, and a name the stub does not know is its NXDOMAIN. With
// `forward: false` the same question is REFUSED and never reaches the stub. After each last DEL
// the server's state directory is empty.

import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { ask } from '../support/dns-client.js';
import { startDnsStub } from '../support/dns-stub.js';
import { makeTestTempDir } from '../support/paths.js';
import { privileged } from '../support/privileges.js';
import { createZoneWorld, useZoneBundle, zoneTools, type ZoneWorld } from '../support/zone-world.js';

const priv = privileged(zoneTools);
useZoneBundle();

const OUTSIDE = { name: 'example.test', address: '192.0.2.53' };

/** A resolv.conf of the test's own naming `nameserver`, bound over /etc/resolv.conf for the plugin. */
function resolvConf(nameserver: string): { source: string; target: string }[] {
  const dir = makeTestTempDir('zone-dns-forward');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'resolv.conf');
  writeFileSync(source, `# the stub of zone-dns-forward.test.ts\nnameserver ${nameserver}\n`);
  return [{ source, target: '/etc/resolv.conf' }];
}

function serverPid(world: ZoneWorld): number {
  const record = JSON.parse(readFileSync(join(world.dnsStateDir, `${world.network}.server.json`), 'utf8')) as { via: string; pid: number };
  expect(record.via).toBe('process');
  return record.pid;
}

priv.describe('zone name server: forwarding to the host’s resolvers', () => {
  priv.it(
    'forwards names outside the zone to resolv.conf’s nameserver, and refuses them with forward: false',
    async () => {
      const world = await createZoneWorld();
      const stub = await startDnsStub(world.sandbox, world.host, '127.0.0.1', { [OUTSIDE.name]: OUTSIDE.address });
      const binds = resolvConf('127.0.0.1');
      const member = await world.container('member');
      /** ADD of the member; its IPv4 address. */
      const add = async (conf = world.conf()) => {
        const result = await world.add({ container: member, containerId: 'fwd', args: { K8S_POD_NAME: 'member' }, conf, binds });
        return result.ips.map((ip) => ip.address.split('/')[0] as string).filter((address) => !address.includes(':'));
      };

      const first = await add();
      // The server runs in the plugin's private mount namespace and reads the test's resolv.conf there.
      const pid = serverPid(world);
      expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
      expect(readFileSync(`/proc/${pid}/root/etc/resolv.conf`, 'utf8')).toBe(readFileSync(binds[0]?.source as string, 'utf8'));

      expect(
        await ask(member, [
          { server: '10.89.0.1', name: `${OUTSIDE.name}.`, type: 'A' },
          { server: 'fd89::1', name: OUTSIDE.name, type: 'A' },
          { server: '10.89.0.1', name: 'member.web.internal', type: 'A' },
          { server: '10.89.0.1', name: 'unknown.test', type: 'A' },
        ]),
      ).toEqual([
        { rcode: 'NOERROR', answers: [OUTSIDE.address] },
        { rcode: 'NOERROR', answers: [OUTSIDE.address] },
        { rcode: 'NOERROR', answers: first },
        { rcode: 'NXDOMAIN', answers: [] },
      ]);
      expect(stub.questions()).toEqual([
        { name: OUTSIDE.name, type: 'A' },
        { name: OUTSIDE.name, type: 'A' },
        { name: 'unknown.test', type: 'A' },
      ]);

      await world.del({ container: member, containerId: 'fwd' });
      expect(readdirSync(world.dnsStateDir)).toEqual([]);

      // The next server of the zone, started by an ADD that turns forwarding off.
      const second = await add(world.conf({ nameServer: { stateDir: world.dnsStateDir, forward: false } }));
      expect(serverPid(world)).not.toBe(pid);
      expect(
        await ask(member, [
          { server: '10.89.0.1', name: OUTSIDE.name, type: 'A' },
          { server: '10.89.0.1', name: 'member.web.internal', type: 'A' },
        ]),
      ).toEqual([
        { rcode: 'REFUSED', answers: [] },
        { rcode: 'NOERROR', answers: second },
      ]);
      expect(stub.questions()).toHaveLength(3);

      await world.del({ container: member, containerId: 'fwd' });
      expect(readdirSync(world.dnsStateDir)).toEqual([]);
    },
    120_000,
  );
});
