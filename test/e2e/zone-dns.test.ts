// The zone plugin's name server, end to end with the netlink backend: the plugin run as a
// runtime runs it (CNI_ARGS K8S_POD_NAME, runtimeConfig.aliases) in a sandbox "host", a second
// member resolving the first by its pod name and alias through the gateway (v4 and v6), the ADD
// result's dns, NXDOMAIN for an unknown name, the name gone after DEL, CHECK failing (122) once
// the server is killed and a later ADD starting it again, and no server left in the host's
// namespace after the last DEL.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { ask } from '../support/dns-client.js';
import type { Netns } from '../support/netns.js';
import { makeTestTempDir } from '../support/paths.js';
import { nameServersIn } from '../support/processes.js';
import { privileged } from '../support/privileges.js';
import { createZoneWorld, useZoneBundle, zoneTools } from '../support/zone-world.js';

const priv = privileged(zoneTools);
const CHECK_FAILED = 122;

useZoneBundle();

const dnsServersIn = (ns: Netns) => nameServersIn(ns.path);

priv.describe('zone plugin: names at the zone gateway', () => {
  priv.it(
    'answers a member by its pod name and alias, drops it on DEL, fails CHECK without a server, and leaves none after the last DEL',
    async () => {
      const stateDir = makeTestTempDir('zone-dns-state');
      onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
      const world = await createZoneWorld({ plugin: { nameServer: { stateDir, forward: false } } });
      const [web, client, third] = [await world.container('web'), await world.container('client'), await world.container('third')];
      onTestFinished(() => {
        for (const pid of dnsServersIn(world.host)) process.kill(pid, 'SIGKILL');
      });

      const rWeb = await world.add({
        container: web,
        containerId: 'ctr-web',
        args: { K8S_POD_NAME: 'Web' },
        conf: world.conf({ runtimeConfig: { aliases: { web: ['api'] } } }),
      });
      expect(rWeb.dns).toEqual({ nameservers: ['10.89.0.1', 'fd89::1'], search: ['web.internal'] });
      const rClient = await world.add({ container: client, containerId: 'ctr-client' });
      expect(dnsServersIn(world.host)).toHaveLength(1);

      expect(
        await ask(client, [
          { server: '10.89.0.1', name: 'web.web.internal', type: 'A' },
          { server: 'fd89::1', name: 'web.web.internal', type: 'AAAA' },
          { server: '10.89.0.1', name: 'api.web.internal', type: 'A' },
          { server: '10.89.0.1', name: 'nobody.web.internal', type: 'A' },
        ]),
      ).toEqual([
        { rcode: 'NOERROR', answers: ['10.89.0.2'] },
        { rcode: 'NOERROR', answers: ['fd89::2'] },
        { rcode: 'NOERROR', answers: ['10.89.0.2'] },
        { rcode: 'NXDOMAIN', answers: [] },
      ]);

      // CHECK passes while the server runs and fails (122) once it is killed
      const check = () =>
        world.run('CHECK', { container: client, containerId: 'ctr-client', conf: { ...world.conf(), prevResult: rClient } });
      expect((await check()).exitCode).toBe(0);
      const record = JSON.parse(readFileSync(join(stateDir, 'web.server.json'), 'utf8')) as { via: string; pid: number };
      expect(record.via).toBe('process');
      process.kill(record.pid, 'SIGKILL');
      const failed = await check();
      expect(failed.exitCode).toBe(1);
      expect((failed.json as { code: number; msg: string }).code).toBe(CHECK_FAILED);
      expect((failed.json as { msg: string }).msg).toMatch(/name server of zone web is not running/);

      // the next ADD of a member starts it again
      await world.add({ container: third, containerId: 'ctr-third' });
      expect(dnsServersIn(world.host)).toHaveLength(1);
      expect((await check()).exitCode).toBe(0);
      await world.del({ container: third, containerId: 'ctr-third' });

      // DEL of web: its names are gone at once
      await world.del({ container: web, containerId: 'ctr-web' });
      expect(await ask(client, [{ server: '10.89.0.1', name: 'web.web.internal', type: 'A' }])).toEqual([
        { rcode: 'NXDOMAIN', answers: [] },
      ]);

      // the last DEL: no server left in the host's namespace, nor its record
      await world.del({ container: client, containerId: 'ctr-client' });
      expect(dnsServersIn(world.host)).toEqual([]);
      expect(readdirSync(stateDir).filter((name) => name.startsWith('web.'))).toEqual([]);
    },
    120_000,
  );
});
