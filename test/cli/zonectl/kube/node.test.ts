import { describe, expect, it } from 'vitest';
import { nodeFacts } from '../../../../cli/zonectl/kube/node.js';
import { dnsNameProblem as nodeNameProblem } from '../../../../lib/names/index.js';
import { formatAddress, formatSubnet } from '../../../../lib/ip/index.js';

function node(spec: object, addresses: object[] = [], name = 'worker-1') {
  return { kind: 'Node', metadata: { name }, spec, status: { addresses } };
}

function facts(value: unknown, name = 'worker-1') {
  const f = nodeFacts(name, value);
  return { podSubnets: f.podSubnets.map((s) => formatSubnet(s)), internalIps: f.internalIps.map(formatAddress) };
}

describe('nodeFacts', () => {
  it('reads the pod subnets, dual stack first, and the InternalIPs', () => {
    const value = node({ podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] }, [
      { type: 'InternalIP', address: '192.0.2.1' },
      { type: 'InternalIP', address: '2001:db8::1' },
      { type: 'Hostname', address: 'worker-1' },
      { type: 'ExternalIP', address: '198.51.100.1' },
    ]);
    expect(facts(value)).toEqual({ podSubnets: ['10.244.1.0/24', 'fd00:10:244:1::/64'], internalIps: ['192.0.2.1', '2001:db8::1'] });
  });

  it('takes the older single podCIDR, and a Node without one as having none yet', () => {
    expect(facts(node({ podCIDR: '10.244.2.0/24' })).podSubnets).toEqual(['10.244.2.0/24']);
    expect(facts(node({})).podSubnets).toEqual([]);
    expect(facts({ metadata: { name: 'worker-1' } })).toEqual({ podSubnets: [], internalIps: [] });
  });

  it.each([
    [node({ podCIDR: '10.244.1.5/24' }), /spec.podCIDR "10.244.1.5\/24" is not a subnet written as its network address/],
    [node({ podCIDRs: ['10.244.1.0/24', 'bogus'] }), /spec.podCIDRs\[1\] "bogus"/],
    [node({ podCIDR: '10.244.1.0/31' }), /too small: a \/30 or larger/],
    [node({ podCIDR: 'fd00::/127' }), /too small: a \/126 or larger/],
    [node({ podCIDRs: ['10.244.1.0/24', '10.244.2.0/24'] }), /one subnet per family/],
    [node({ podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.1.0/24'] }), /is not the first of spec.podCIDRs/],
    [node({ podCIDR: '10.244.1.0/24' }, [{ type: 'InternalIP', address: 'node-a' }]), /InternalIP "node-a", which is no IP address/],
    [node({ podCIDR: 7 }), /does not have the shape of a Node/],
    [node({}, [], 'worker-2'), /it is named "worker-2"/],
    ['<html>', /does not have the shape of a Node/],
  ])('refuses %j', (value, message) => {
    expect(() => nodeFacts('worker-1', value)).toThrow(message);
  });
});

describe('a Node name: dnsNameProblem (lib/names)', () => {
  it('takes DNS subdomains, nothing else', () => {
    expect(nodeNameProblem('worker-1.example.com')).toBeUndefined();
    expect(nodeNameProblem('Worker')).toMatch(/no DNS label/);
    expect(nodeNameProblem('a/../b')).toMatch(/no DNS label/);
    expect(nodeNameProblem('a..b')).toMatch(/it is empty/);
    expect(nodeNameProblem(`${'a'.repeat(60)}.`.repeat(5))).toMatch(/longer than 253/);
  });
});
