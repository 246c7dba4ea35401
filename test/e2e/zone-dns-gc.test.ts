// GC and the zone's names: the plugin run as containerd or CRI-O run it (GC with
// `cni.dev/valid-attachments`) drops the names of the attachments the runtime no longer lists,
// at once and without a DEL, while the listed members keep theirs and the server; a GC that
// lists none leaves the zone without names, server or record.
import { readdirSync, rmSync } from 'node:fs';
import { expect, onTestFinished } from 'vitest';
import { ask } from '../support/dns-client.js';
import { makeTestTempDir } from '../support/paths.js';
import { privileged } from '../support/privileges.js';
import { nameServersIn } from '../support/processes.js';
import { createZoneWorld, useZoneBundle, zoneTools } from '../support/zone-world.js';

const priv = privileged(zoneTools);

useZoneBundle();

priv.describe('zone plugin GC: the names of attachments the runtime no longer lists', () => {
  priv.it(
    'are gone after GC, the listed ones answer on, and a GC listing none stops the server and leaves nothing',
    async () => {
      const stateDir = makeTestTempDir('zone-dns-gc');
      onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
      const world = await createZoneWorld({ plugin: { nameServer: { stateDir, forward: false } } });
      onTestFinished(() => {
        for (const pid of nameServersIn(world.host.path)) process.kill(pid, 'SIGKILL');
      });
      const [web, client] = [await world.container('web'), await world.container('client')];
      await world.add({ container: web, containerId: 'ctr-web', args: { K8S_POD_NAME: 'web' } });
      await world.add({ container: client, containerId: 'ctr-client', args: { K8S_POD_NAME: 'client' } });
      const lookUp = () =>
        ask(client, [
          { server: '10.89.0.1', name: 'web.web.internal', type: 'A' },
          { server: '10.89.0.1', name: 'client.web.internal', type: 'A' },
        ]);
      expect(await lookUp()).toEqual([
        { rcode: 'NOERROR', answers: ['10.89.0.2'] },
        { rcode: 'NOERROR', answers: ['10.89.0.3'] },
      ]);

      // The runtime lost ctr-web (its namespace is still here: GC goes by the list alone).
      const gc = (valid: object[]) => world.run('GC', { conf: { ...world.conf(), 'cni.dev/valid-attachments': valid } });
      const keepClient = await gc([{ containerID: 'ctr-client', ifname: 'eth0' }]);
      expect(keepClient.exitCode, keepClient.stdout + keepClient.stderr).toBe(0);
      expect(await lookUp()).toEqual([
        { rcode: 'NXDOMAIN', answers: [] },
        { rcode: 'NOERROR', answers: ['10.89.0.3'] },
      ]);
      expect(nameServersIn(world.host.path)).toHaveLength(1);

      const keepNone = await gc([]);
      expect(keepNone.exitCode, keepNone.stdout + keepNone.stderr).toBe(0);
      expect(nameServersIn(world.host.path)).toEqual([]);
      expect(readdirSync(stateDir)).toEqual([]);
    },
    120_000,
  );
});
