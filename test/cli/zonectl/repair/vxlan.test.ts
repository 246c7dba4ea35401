// The repair of a multi-host zone against the fake world (test/lib/zone/fake-world.ts): what it
// finds drifted, what it does about it through the ADD's ensureVxlanPort, what it reports, and
// that it reads what it did back. test/e2e/zonectl-vxlan.test.ts does the same on real hosts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localTrafficDrift, readVxlanPort, vxlanPortDrift } from '../../../../cli/zonectl/repair/vxlan-drift.js';
import { repairVxlan, restorations } from '../../../../cli/zonectl/repair/vxlan.js';
import type { ZoneVxlan } from '../../../../lib/networkd/vxlan-files.js';
import { keepZoneTrafficLocal } from '../../../../lib/nft/vxlan-local.js';
import { loadZoneConfig, type ZoneConfig } from '../../../../lib/zone/plan.js';
import { FakeWorld, type FakeWorldOptions } from '../../../lib/zone/fake-world.js';

type MultiHost = ZoneConfig & { vxlan: ZoneVxlan };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function zoneConfig(peers: string[], extra: object = {}): MultiHost {
  const config = loadZoneConfig({
    cniVersion: '1.0.0',
    name: 'zt',
    type: 'zone',
    zone: 'zt',
    vxlan: { vni: 4242, local: '192.0.2.1', peers },
    ipam: { type: 'zone-ipam', ranges: [[{ subnet: '10.89.0.0/24' }]] },
    ...extra,
  } as never);
  return config as MultiHost;
}

/** A host with its underlay (192.0.2.1 on a 1500-byte link) and the zone's bridge, as a first ADD leaves them, port aside. */
function host(options: FakeWorldOptions = {}): FakeWorld {
  const fake = new FakeWorld(options);
  const links = fake.links('host') as unknown as { add(link: object): void };
  links.add({ name: 'under0', kind: 'veth', mtu: 1500, mac: '02:00:00:00:01:01', up: true, addresses: ['192.0.2.1/24'] });
  links.add({ name: 'vz-zt', kind: 'bridge', mtu: 1450, mac: '02:00:00:00:01:02', up: true, addresses: ['10.89.0.1/24'] });
  return fake;
}

async function floods(fake: FakeWorld): Promise<string[]> {
  const rt = fake.links('host');
  const port = await rt.getLink('vx-zt');
  return port === undefined ? [] : rt.floodEntries(port.index);
}

describe('repairVxlan', () => {
  it('makes a missing port as an ADD does, with its peers, and the bridge table, and says so', async () => {
    const fake = host();
    const outcome = await repairVxlan(fake.world(), zoneConfig(['192.0.2.2', '192.0.2.3']));
    expect(outcome).toEqual({
      present: true,
      restored: [
        'VXLAN port vx-zt (VNI 4242, 192.0.2.1:4789, flooding to 192.0.2.2, 192.0.2.3)',
        'table bridge cni_zones (DHCPv4 and router discovery kept on this host)',
      ],
      problems: [],
    });
    const port = await fake.links('host').getLink('vx-zt');
    expect(port).toMatchObject({ kind: 'vxlan', up: true, mtu: 1450, master: (await fake.links('host').getLink('vz-zt'))?.index });
    expect(await floods(fake)).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(await localTrafficDrift(fake.world().nft('bridge'))).toEqual([]);
    // and again: nothing to do, nothing done
    const effects = fake.log.length;
    expect(await repairVxlan(fake.world(), zoneConfig(['192.0.2.2', '192.0.2.3']))).toEqual({ present: true, restored: [], problems: [] });
    expect(fake.log.length).toBe(effects);
  });

  it('brings the flood entries in line with the peers configured now, the port staying', async () => {
    const fake = host();
    await repairVxlan(fake.world(), zoneConfig(['192.0.2.2', '192.0.2.3']));
    const before = (await fake.links('host').getLink('vx-zt'))?.index;
    const outcome = await repairVxlan(fake.world(), zoneConfig(['192.0.2.2', '192.0.2.4']));
    expect(outcome.restored).toEqual(['VXLAN peers as configured: added 192.0.2.4; removed 192.0.2.3 (no peer any more)']);
    expect((await fake.links('host').getLink('vx-zt'))?.index).toBe(before);
    expect(await floods(fake)).toEqual(['192.0.2.2', '192.0.2.4']);
  });

  it('makes the port again when its VNI is not the configuration’s', async () => {
    const fake = host();
    await repairVxlan(fake.world(), zoneConfig(['192.0.2.2']));
    const outcome = await repairVxlan(fake.world(), {
      ...zoneConfig(['192.0.2.2']),
      vxlan: { ...zoneConfig([]).vxlan, vni: 7, peers: ['192.0.2.2'] },
    });
    expect(outcome.restored).toEqual(['VXLAN port vx-zt (VNI 7, 192.0.2.1:4789, flooding to 192.0.2.2)']);
    expect(await fake.links('host').vxlanIdentity('vx-zt')).toEqual({ vni: 7, local: '192.0.2.1', port: 4789 });
  });

  it('looks at nothing when the zone is not on this host', async () => {
    const fake = new FakeWorld();
    expect(await repairVxlan(fake.world(), zoneConfig(['192.0.2.2']))).toEqual({ present: false, restored: [], problems: [] });
    expect(fake.log).toEqual([]);
  });

  it('reports what it could not restore, and why', async () => {
    const fake = host().failOn(/flood to 192\.0\.2\.3/);
    const outcome = await repairVxlan(fake.world(), zoneConfig(['192.0.2.3']));
    expect(outcome.restored).toEqual([]);
    expect(outcome.problems).toEqual([
      'VXLAN port vx-zt (VNI 4242, 192.0.2.1:4789, flooding to 192.0.2.3): injected failure: host: flood to 192.0.2.3',
      'table bridge cni_zones (DHCPv4 and router discovery kept on this host): injected failure: host: flood to 192.0.2.3',
    ]);
  });

  it('says so when vxlan.local is on no link of this host', async () => {
    const fake = new FakeWorld();
    (fake.links('host') as unknown as { add(link: object): void }).add({
      name: 'vz-zt',
      kind: 'bridge',
      mtu: 1500,
      mac: undefined,
      up: true,
      addresses: [],
    });
    const outcome = await repairVxlan(fake.world(), zoneConfig(['192.0.2.2']));
    expect(outcome.problems[0]).toMatch(/^VXLAN port vx-zt .*: vxlan\.local 192\.0\.2\.1 is on no link of this host: /);
  });

  it('with the networkd backend, writes the port’s files as configured now before the port is brought in line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'czt-repair-vxlan-'));
    dirs.push(dir);
    const fake = host({ backend: 'networkd' });
    // the port networkd made from the files of an earlier ADD, with its peer then
    const rt = fake.links('host');
    const bridge = await rt.getLink('vz-zt');
    const made = await rt.createVxlan({ name: 'vx-zt', vni: 4242, local: '192.0.2.1', port: 4789 });
    await rt.setMaster(made, bridge?.index);
    await rt.setUp(made);
    await rt.addFloodEntry(made, '192.0.2.2');
    await keepZoneTrafficLocal(fake.world().nft('bridge'));

    const outcome = await repairVxlan(fake.world(), zoneConfig(['192.0.2.2', '192.0.2.3'], { networkDir: dir }));
    expect(outcome).toEqual({ present: true, restored: ['VXLAN peers as configured: added 192.0.2.3'], problems: [] });
    const network = readFileSync(join(dir, '71-cni-zones-vx-zt.network'), 'utf8');
    expect(network.match(/Destination=.*/g)).toEqual(['Destination=192.0.2.2', 'Destination=192.0.2.3']);
    expect(readFileSync(join(dir, '71-cni-zones-vx-zt.netdev'), 'utf8')).toMatch(/MTUBytes=1450[\s\S]*VNI=4242/);
    expect(await floods(fake)).toEqual(['192.0.2.2', '192.0.2.3']);
  });
});

describe('restorations', () => {
  const port = {
    name: 'vx-zt',
    present: true,
    kind: 'vxlan',
    vni: 4242,
    local: '192.0.2.1',
    port: 4789,
    up: true,
    onBridge: true,
    floods: ['192.0.2.2'],
  };

  it('names what differs in the words repair prints after "restored"', () => {
    expect(restorations(zoneConfig(['192.0.2.2']), port, [])).toEqual([]);
    expect(restorations(zoneConfig(['192.0.2.2']), { ...port, up: false }, [])).toEqual(['VXLAN port vx-zt up on vz-zt']);
    expect(restorations(zoneConfig([]), { ...port, present: false, floods: [] }, ['table bridge cni_zones missing'])).toEqual([
      'VXLAN port vx-zt (VNI 4242, 192.0.2.1:4789)',
      'table bridge cni_zones (DHCPv4 and router discovery kept on this host)',
    ]);
  });
});

describe('vxlanPortDrift', () => {
  const vxlan = zoneConfig(['192.0.2.2', '192.0.2.3']).vxlan;
  const port = { name: 'vx-zt', present: true, kind: 'vxlan', vni: 4242, local: '192.0.2.1', port: 4789, up: true, onBridge: true };

  it('is empty for the port as configured', () => {
    expect(vxlanPortDrift(vxlan, { ...port, floods: ['192.0.2.3', '192.0.2.2'] }, 'vz-zt')).toEqual([]);
  });

  it('names each difference', () => {
    expect(vxlanPortDrift(vxlan, { name: 'vx-zt', present: false, floods: [] }, 'vz-zt')).toEqual(['vx-zt missing']);
    expect(vxlanPortDrift(vxlan, { name: 'vx-zt', present: true, kind: 'dummy', floods: [] }, 'vz-zt')).toEqual([
      'vx-zt is a dummy link, not a VXLAN port',
    ]);
    expect(vxlanPortDrift(vxlan, { ...port, vni: 7, up: false, onBridge: false, floods: ['192.0.2.2', '192.0.2.9'] }, 'vz-zt')).toEqual([
      'vx-zt is VNI 7, 192.0.2.1:4789, not VNI 4242, 192.0.2.1:4789',
      'vx-zt not on vz-zt',
      'vx-zt down',
      'no flood entry for peer 192.0.2.3',
      'flood entry for 192.0.2.9, no peer',
    ]);
  });
});

describe('readVxlanPort', () => {
  it('reads the port, its identity and its flood entries; whether it is on the bridge', async () => {
    const fake = host();
    await repairVxlan(fake.world(), zoneConfig(['192.0.2.2']));
    const rt = fake.links('host');
    const bridge = (await rt.getLink('vz-zt'))?.index;
    expect(await readVxlanPort(rt, 'zt', bridge)).toEqual({
      name: 'vx-zt',
      present: true,
      kind: 'vxlan',
      vni: 4242,
      local: '192.0.2.1',
      port: 4789,
      up: true,
      mtu: 1450,
      onBridge: true,
      floods: ['192.0.2.2'],
    });
    expect((await readVxlanPort(rt, 'zt', undefined)).onBridge).toBe(false);
    expect(await readVxlanPort(rt, 'other', bridge)).toEqual({ name: 'vx-other', present: false, floods: [] });
  });
});
