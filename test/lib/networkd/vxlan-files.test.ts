// The VXLAN pair of a multi-host zone: names apart from the bridge's pair, one flood entry per
// peer, and what networkd's own parser reads back (the e2e tests run networkd on them).
import { describe, expect, it } from 'vitest';
import { parseUnitFile, valuesOf } from '../../../lib/networkd/unit-file.js';
import { renderVxlanFiles, vxlanFileNames, vxlanName, zoneOfVxlanFileName } from '../../../lib/networkd/vxlan-files.js';
import { zoneOfFileName } from '../../../lib/networkd/zone-files.js';

const vxlan = { vni: 4242, local: '192.0.2.1', port: 4789, peers: ['192.0.2.2', '192.0.2.3'] };

describe('VXLAN files of a multi-host zone', () => {
  it('are named apart from any zone’s bridge files, and known by their zone', () => {
    expect(vxlanName('web')).toBe('vx-web');
    const names = vxlanFileNames('web');
    expect(names).toEqual({ netdev: '71-cni-zones-vx-web.netdev', network: '71-cni-zones-vx-web.network' });
    expect(zoneOfVxlanFileName(names.network)).toBe('web');
    expect(zoneOfFileName(names.network)).toBeUndefined();
    expect(zoneOfVxlanFileName('70-cni-zones-vx-web.network')).toBeUndefined();
    expect(() => vxlanFileNames('a/b')).toThrow(/invalid zone name/);
  });

  it('declare the device with its identity and MTU, enslave it, and replicate to each peer', () => {
    const [netdev, network] = renderVxlanFiles('web', 'vz-web', vxlan, 1450).map((file) => parseUnitFile(file.content));
    if (!netdev || !network) throw new Error('two files expected');
    expect(valuesOf(netdev, 'NetDev', 'Kind')).toEqual(['vxlan']);
    expect(valuesOf(netdev, 'NetDev', 'MTUBytes')).toEqual(['1450']);
    expect(valuesOf(netdev, 'VXLAN', 'VNI')).toEqual(['4242']);
    expect(valuesOf(netdev, 'VXLAN', 'Local')).toEqual(['192.0.2.1']);
    expect(valuesOf(netdev, 'VXLAN', 'DestinationPort')).toEqual(['4789']);
    expect(valuesOf(netdev, 'VXLAN', 'Independent')).toEqual(['yes']);
    expect(valuesOf(network, 'Match', 'Name')).toEqual(['vx-web']);
    expect(valuesOf(network, 'Network', 'Bridge')).toEqual(['vz-web']);
    expect(valuesOf(network, 'BridgeFDB', 'Destination')).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(valuesOf(network, 'BridgeFDB', 'MACAddress')).toEqual(['00:00:00:00:00:00', '00:00:00:00:00:00']);
  });

  it('leave the MTU to the kernel when none is given, and have no flood entry without peers', () => {
    const [netdev, network] = renderVxlanFiles('web', 'vz-web', { ...vxlan, peers: [] }, undefined).map((file) =>
      parseUnitFile(file.content),
    );
    if (!netdev || !network) throw new Error('two files expected');
    expect(valuesOf(netdev, 'NetDev', 'MTUBytes')).toEqual([]);
    expect(valuesOf(network, 'BridgeFDB', 'Destination')).toEqual([]);
  });
});
