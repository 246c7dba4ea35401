import { describe, expect, it } from 'vitest';
import { demoHost, hostConfList } from '../../../../cli/zonectl/demo/hosts.js';
import { renderConfList } from '../../../../cli/zonectl/example.js';
import { parseNetConf } from '../../../../lib/cni/config.js';
import { loadIpamConfig } from '../../../../lib/ipam/config.js';
import { parseConfList } from '../../../../lib/runtime/conf.js';
import { loadZoneConfig } from '../../../../lib/zone/plan.js';

const hosts = [demoHost(1, '/w'), demoHost(2, '/w')] as const;

function pluginConf(text: string) {
  const list = parseConfList(text);
  const [plugin] = list.plugins;
  return parseNetConf(JSON.stringify({ ...plugin?.conf, name: list.name, cniVersion: list.cniVersion })).conf;
}

describe("the two-host demo's networks", () => {
  it('are one zone over VXLAN, each host its own underlay address and the other as its peer', () => {
    const [one, two] = hosts.map((host) => loadZoneConfig(pluginConf(renderConfList(hostConfList(host, hosts, 'demo')))));
    expect(one).toMatchObject({ zone: 'demo', bridge: 'vz-demo', backend: 'netlink' });
    expect(one?.vxlan).toMatchObject({ vni: 4242, local: '192.0.2.1', peers: ['192.0.2.2'], port: 4789 });
    expect(two?.vxlan).toMatchObject({ vni: 4242, local: '192.0.2.2', peers: ['192.0.2.1'], port: 4789 });
  });

  it('give each host its own range and gateway in one subnet, and state of its own', () => {
    const [one, two] = hosts.map((host) => loadIpamConfig(pluginConf(renderConfList(hostConfList(host, hosts, 'demo')))));
    const v4 = (ipam: typeof one) => ipam?.rangeSets[0]?.[0];
    expect(v4(one)?.subnet).toEqual(v4(two)?.subnet);
    expect(v4(one)?.end.value).toBeLessThan(v4(two)?.start.value ?? 0n);
    expect(v4(one)?.gateway?.value).not.toEqual(v4(two)?.gateway?.value);
    expect(one?.dir).toBe('/w/host1/ipam/demo');
    expect(two?.dir).toBe('/w/host2/ipam/demo');
    expect(hosts[0].paths.confDir).not.toBe(hosts[1].paths.confDir);
    expect(hosts[0].paths.cacheDir).not.toBe(hosts[1].paths.cacheDir);
    expect(hosts[0].dnsStateDir).not.toBe(hosts[1].dnsStateDir);
  });
});
