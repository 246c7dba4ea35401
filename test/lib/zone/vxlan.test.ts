// A multi-host zone's VXLAN port through the zone core, against the stateful fake world: made
// by the first ADD with the underlay MTU less 50, its peers brought in line by later ADDs, and
// gone (with the bridge table) once the configuration no longer has `vxlan`; `zonectl
// remove-zone` takes the files away before the links and has networkd forget them. The e2e
// tests zone-vxlan and zone-vxlan-networkd prove the same against the kernel and networkd.
import { describe, expect, it } from 'vitest';
import type { Request } from '../../../lib/cni/dispatch.js';
import type { Command } from '../../../lib/cni/env.js';
import { attach } from '../../../lib/zone/attach.js';
import { detach } from '../../../lib/zone/detach.js';
import { removeZone } from '../../../lib/zone/remove.js';
import { FakeWorld, type FakeWorldOptions } from './fake-world.js';

const vxlan = (peers: string[]) => ({ vni: 4242, local: '192.0.2.1', peers });

function request(command: Command, containerId: string, extra: Record<string, unknown> = {}): Request {
  const conf = {
    cniVersion: '1.1.0',
    name: 'web',
    type: 'zone',
    nameServer: false,
    ipam: { type: 'zone-ipam', ranges: [[{ subnet: '10.89.0.0/24' }]] },
    ...extra,
  };
  return {
    env: {
      command,
      containerId,
      netns: `/run/netns/${containerId}`,
      ifname: 'eth0',
      args: { pairs: [], values: new Map(), ignoreUnknown: false },
      path: ['/opt/cni/bin'],
    },
    conf,
    parsed: { conf, text: JSON.stringify(conf) },
  };
}

/** A host whose underlay link holds 192.0.2.1, MTU 1500. */
function hostWithUnderlay(options: FakeWorldOptions = {}): FakeWorld {
  const fake = new FakeWorld(options);
  fake.namespace('host').links.set(90, {
    index: 90,
    name: 'under0',
    kind: 'veth',
    mtu: 1500,
    mac: undefined,
    up: true,
    addresses: ['192.0.2.1/24'],
  });
  return fake;
}

const vxlanLines = (fake: FakeWorld) => fake.snapshot().filter((line) => line.includes('vx-web'));

describe('zone core: the VXLAN port of a multi-host zone', () => {
  it('comes with the first ADD, on the bridge, flooding to each peer, with the underlay MTU less 50', async () => {
    const fake = hostWithUnderlay();
    await attach(fake.world(), request('ADD', 'c1', { vxlan: vxlan(['192.0.2.2']) }));
    expect(vxlanLines(fake)).toEqual(['host: link vx-web vxlan up master vz-web']);
    const host = fake.links('host');
    const port = await host.getLink('vx-web');
    expect(port?.mtu).toBe(1450);
    expect((await host.getLink('vz-web'))?.mtu).toBe(1450);
    expect(await host.floodEntries(port?.index ?? 0)).toEqual(['192.0.2.2']);
    expect(fake.nftDump()).toMatch(/table bridge cni_zones/);
  });

  it("follows the configuration's peers on the next ADD: new ones added, old ones taken out", async () => {
    const fake = hostWithUnderlay();
    await attach(fake.world(), request('ADD', 'c1', { vxlan: vxlan(['192.0.2.2']) }));
    await attach(fake.world(), request('ADD', 'c2', { vxlan: vxlan(['192.0.2.3']) }));
    const port = await fake.links('host').getLink('vx-web');
    expect(await fake.links('host').floodEntries(port?.index ?? 0)).toEqual(['192.0.2.3']);
    expect(fake.log.filter((line) => line.includes('flood'))).toEqual([
      'host: flood to 192.0.2.2',
      'host: no flood to 192.0.2.2',
      'host: flood to 192.0.2.3',
    ]);
  });

  it('goes, and the bridge table with it, once an ADD no longer has vxlan; the members stay', async () => {
    const fake = hostWithUnderlay();
    await attach(fake.world(), request('ADD', 'c1', { vxlan: vxlan(['192.0.2.2']) }));
    await attach(fake.world(), request('ADD', 'c2', { mtu: 1450 }));
    expect(vxlanLines(fake)).toEqual([]);
    expect(fake.nftDump()).not.toMatch(/table bridge cni_zones/);
    expect(fake.snapshot().filter((line) => line.includes('master vz-web'))).toHaveLength(2);
  });

  it('is not taken when another link of that name is not a port of the bridge', async () => {
    const fake = hostWithUnderlay();
    await attach(fake.world(), request('ADD', 'c1'));
    fake.namespace('host').links.set(91, { index: 91, name: 'vx-web', kind: 'dummy', mtu: 1500, mac: undefined, up: true, addresses: [] });
    await attach(fake.world(), request('ADD', 'c2'));
    expect(vxlanLines(fake)).toEqual(['host: link vx-web dummy up']);
  });
});

describe('zone core: remove-zone', () => {
  const target = { zone: 'web', networkDir: '/run/systemd/network', dnsStateDir: '/run/cni-zones/dns' };

  it("removes the files before the links, then has networkd forget them (it keeps a removed file's settings until a reload)", async () => {
    const fake = hostWithUnderlay({ backend: 'networkd' });
    // the zone made over netlink (the fake's networkd makes no VXLAN devices), removed where networkd runs
    const netlink = { ...fake.world(), backend: async () => 'netlink' as const };
    await attach(netlink, request('ADD', 'c1', { vxlan: vxlan(['192.0.2.2']) }));
    await detach(netlink, request('DEL', 'c1', { vxlan: vxlan(['192.0.2.2']) }));
    await fake.world().networkd.writeFiles({ zone: 'web', gateways: ['10.89.0.1/24'], ipMasquerade: true }, target.networkDir);
    fake.log.length = 0;
    expect(await removeZone(fake.world(), target)).toEqual(['vx-web', 'vz-web']);
    const steps = fake.log.filter((line) => /^(networkd|host):/.test(line));
    expect(steps).toEqual(['networkd: remove web', 'host: delete vx-web', 'host: delete vz-web', 'networkd: reload']);
    expect(fake.snapshot().filter((line) => /vz-web|vx-web|networkd/.test(line))).toEqual([]);
    expect(fake.nftDump()).not.toMatch(/table bridge cni_zones/);
  });

  it('leaves networkd alone without files of ours (a netlink zone), and a link of the name that is no VXLAN device', async () => {
    const fake = hostWithUnderlay({ backend: 'networkd' });
    const netlink = { ...fake.world(), backend: async () => 'netlink' as const };
    await attach(netlink, request('ADD', 'c1'));
    await detach(netlink, request('DEL', 'c1'));
    fake.namespace('host').links.set(91, { index: 91, name: 'vx-web', kind: 'dummy', mtu: 1500, mac: undefined, up: true, addresses: [] });
    expect(await removeZone(fake.world(), target)).toEqual(['vz-web']);
    expect(fake.log).not.toContain('networkd: reload');
    expect(vxlanLines(fake)).toEqual(['host: link vx-web dummy up']);
  });
});
