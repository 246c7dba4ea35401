// A `zonectl up` machine's name is its name in the zone: with two machines up on a zone of the
// netlink backend, the second resolves `<web>.<zone>.internal` at the zone's gateway (v4 and v6)
// to web's addresses, `zonectl status` lists each member with its names and the name server
// running; after `zonectl down web` the name is NXDOMAIN, and the client's name still answers.

import { expect, it } from 'vitest';
import { ask } from '../support/dns-client.js';
import { privileged } from '../support/privileges.js';
import { addresses, createZonectlWorld, hostPart, netnsPathOf, useZonectlBundles } from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'sysctl']);
useZonectlBundles();

const GATEWAY4 = '10.89.0.1';
const GATEWAY6 = 'fd89::1';

interface StatusJson {
  zones: {
    zone: string;
    problems: string[];
    nameServer?: { enabled: boolean; domain?: string; running?: boolean };
    attachments: { containerId: string; names: string[] }[];
  }[];
}

suite.describe('zonectl up: the machine by name in its zone', () => {
  it('answers the machine name at the gateway, lists it in status, and forgets it on down', async () => {
    const world = await createZonectlWorld();
    const web = await world.up('web');
    const client = await world.up('client');
    const domain = `${world.network}.internal`;
    const webName = `${web}.${domain}`;
    const webAddresses = (await addresses(netnsPathOf(web), 'eth0')).map(hostPart);
    const web4 = webAddresses.filter((a) => !a.includes(':'));
    const web6 = webAddresses.filter((a) => a.includes(':'));
    expect(web4).toHaveLength(1);
    expect(web6).toHaveLength(1);

    expect(
      await ask(netnsPathOf(client), [
        { server: GATEWAY4, name: webName, type: 'A' },
        { server: GATEWAY6, name: webName, type: 'AAAA' },
        { server: GATEWAY4, name: `nobody.${domain}`, type: 'A' },
      ]),
    ).toEqual([
      { rcode: 'NOERROR', answers: web4 },
      { rcode: 'NOERROR', answers: web6 },
      { rcode: 'NXDOMAIN', answers: [] },
    ]);

    const status = await world.zonectl(['status', '--json'], { runtime: true });
    const [zone] = (JSON.parse(status.stdout) as StatusJson).zones;
    expect(zone?.nameServer).toEqual(expect.objectContaining({ enabled: true, domain, running: true }));
    expect(zone?.attachments.map((a) => [a.containerId, a.names]).sort()).toEqual(
      [
        [client, [`${client}.${domain}`]],
        [web, [webName]],
      ].sort(),
    );
    expect(zone?.problems).toEqual([]);
    const text = await world.zonectl(['status'], { runtime: true });
    expect(text.stdout).toMatch(new RegExp(`${web} +${webName.replaceAll('.', '\\.')} +eth0`));

    const down = await world.zonectl(['down', web], { runtime: true });
    expect(down.exitCode, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect(
      await ask(netnsPathOf(client), [
        { server: GATEWAY4, name: webName, type: 'A' },
        { server: GATEWAY4, name: `${client}.${domain}`, type: 'A' },
      ]),
    ).toEqual([
      { rcode: 'NXDOMAIN', answers: [] },
      { rcode: 'NOERROR', answers: (await addresses(netnsPathOf(client), 'eth0')).map(hostPart).filter((a) => !a.includes(':')) },
    ]);
  });
});
