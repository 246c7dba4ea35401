import { describe, expect, it } from 'vitest';
import { describeZone, kubeConfList } from '../../../../cli/zonectl/kube/conflist.js';
import { nodeFacts } from '../../../../cli/zonectl/kube/node.js';
import { parseSettings } from '../../../../cli/zonectl/kube/settings.js';

function facts(podCIDRs: string[], internal: string[] = ['192.0.2.2']) {
  return nodeFacts('worker-2', {
    metadata: { name: 'worker-2' },
    spec: { podCIDRs },
    status: { addresses: internal.map((address) => ({ type: 'InternalIP', address })) },
  });
}

const multiHost = (clusterSubnets: string[], peers: string[], port?: number) =>
  parseSettings({ zone: 'pods', multiHost: { clusterSubnets, vxlan: { vni: 4242, peers, ...(port !== undefined && { port }) } } });

function plugin(conflist: Record<string, unknown>) {
  return (conflist.plugins as Record<string, unknown>[])[0] as { ipam: { ranges: unknown; routes: unknown }; vxlan?: unknown };
}

describe('kubeConfList', () => {
  it('one zone per node: the pod subnets with their first host as gateway, in the example conflist shape', () => {
    expect(kubeConfList(parseSettings({}), facts(['10.244.2.0/24', 'fd00:10:244:2::/64']))).toEqual({
      cniVersion: '1.0.0',
      cniVersions: ['1.0.0', '1.1.0'],
      name: 'k8s-pods',
      plugins: [
        {
          type: 'zone',
          zone: 'k8s-pods',
          backend: 'auto',
          ipMasq: true,
          hairpin: true,
          nameServer: false,
          localhost: 'ipv4',
          ipam: {
            type: 'zone-ipam',
            ranges: [[{ subnet: '10.244.2.0/24', gateway: '10.244.2.1' }], [{ subnet: 'fd00:10:244:2::/64', gateway: 'fd00:10:244:2::1' }]],
            routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
          },
          capabilities: { portMappings: true },
        },
      ],
    });
  });

  it('the name server on, masquerade off, another backend', () => {
    const settings = parseSettings({ nameServer: true, ipMasq: false, backend: 'netlink' });
    expect(plugin(kubeConfList(settings, facts(['10.244.2.0/24'])))).toMatchObject({ nameServer: {}, ipMasq: false, backend: 'netlink' });
  });

  it('across nodes: the cluster subnet, the node its range and gateway, a VXLAN to the others', () => {
    const conflist = kubeConfList(
      multiHost(['10.244.0.0/16', 'fd00:10:244::/56'], ['192.0.2.1', '192.0.2.2', '192.0.2.3'], 8472),
      facts(['10.244.2.0/24', 'fd00:10:244:2::/64'], ['192.0.2.2', '2001:db8::2']),
    );
    expect(plugin(conflist).ipam.ranges).toEqual([
      [{ subnet: '10.244.0.0/16', rangeStart: '10.244.2.2', rangeEnd: '10.244.2.255', gateway: '10.244.2.1' }],
      [
        {
          subnet: 'fd00:10:244::/56',
          rangeStart: 'fd00:10:244:2::2',
          rangeEnd: 'fd00:10:244:2:ffff:ffff:ffff:ffff',
          gateway: 'fd00:10:244:2::1',
        },
      ],
    ]);
    expect(plugin(conflist).vxlan).toEqual({ vni: 4242, local: '192.0.2.2', peers: ['192.0.2.1', '192.0.2.3'], port: 8472 });
  });

  it('keeps the IPv4 broadcast address of the cluster subnet out of the last node range', () => {
    const conflist = kubeConfList(multiHost(['10.244.0.0/16'], []), facts(['10.244.255.0/24']));
    expect(plugin(conflist).ipam.ranges).toEqual([
      [{ subnet: '10.244.0.0/16', rangeStart: '10.244.255.2', rangeEnd: '10.244.255.254', gateway: '10.244.255.1' }],
    ]);
    // The first node's gateway is not the cluster's network address.
    const first = kubeConfList(multiHost(['10.244.0.0/16'], []), facts(['10.244.0.0/24']));
    expect(plugin(first).ipam.ranges).toEqual([
      [{ subnet: '10.244.0.0/16', rangeStart: '10.244.0.2', rangeEnd: '10.244.0.255', gateway: '10.244.0.1' }],
    ]);
  });

  it('the VXLAN runs over the peers family, from the InternalIP of that family', () => {
    const conflist = kubeConfList(
      multiHost(['10.244.0.0/16'], ['2001:db8::1', '2001:db8::2']),
      facts(['10.244.2.0/24'], ['192.0.2.2', '2001:db8::2']),
    );
    expect(plugin(conflist).vxlan).toEqual({ vni: 4242, local: '2001:db8::2', peers: ['2001:db8::1'] });
  });

  it('refuses what cannot work', () => {
    expect(() => kubeConfList(multiHost(['10.245.0.0/16'], []), facts(['10.244.2.0/24']))).toThrow(
      /lies in none of the cluster subnets 10.245.0.0\/16/,
    );
    expect(() => kubeConfList(multiHost(['10.244.0.0/16'], []), facts(['10.244.2.0/24', 'fd00::/64']))).toThrow(/fd00::\/64 lies in none/);
    expect(() => kubeConfList(multiHost(['10.244.0.0/16'], ['2001:db8::1']), facts(['10.244.2.0/24'], ['192.0.2.2']))).toThrow(
      /has no IPv6 InternalIP/,
    );
  });
});

describe('describeZone', () => {
  it('says which kind of zone', () => {
    expect(describeZone(parseSettings({}), facts(['10.244.2.0/24']))).toBe('zone k8s-pods on this node only, pods from 10.244.2.0/24');
    expect(describeZone(multiHost(['10.244.0.0/16'], []), facts(['10.244.2.0/24']))).toBe(
      'zone pods across nodes (10.244.0.0/16, VXLAN 4242), pods of this node from 10.244.2.0/24',
    );
  });
});
