import { describe, expect, it } from 'vitest';
import { addressesOf, containerInterfaceIndex, resultShapeProblems, resultSignature } from '../../conformance/result-shape.js';

const modern = {
  cniVersion: '1.0.0',
  interfaces: [
    { name: 'cni0', mac: '02:00:00:00:00:01' },
    { name: 'eth0', mac: '02:00:00:00:00:02', sandbox: '/run/netns/c' },
  ],
  ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 1 }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: { nameservers: ['10.0.0.1'] },
};

describe('resultShapeProblems', () => {
  it('accepts a well-formed result of the requested version', () => {
    expect(resultShapeProblems(modern, '1.0.0')).toEqual([]);
    const legacy = { ...modern, cniVersion: '0.4.0', ips: [{ ...modern.ips[0], version: '4' }] };
    expect(resultShapeProblems(legacy, '0.4.0')).toEqual([]);
  });

  it('wants the version of the request', () => {
    expect(resultShapeProblems(modern, '1.1.0')).toEqual(['cniVersion is "1.0.0", the request said "1.1.0"']);
  });

  it('wants ips[].version in 0.3.x and 0.4.0 results, matching the address', () => {
    expect(resultShapeProblems({ ...modern, cniVersion: '0.3.1' }, '0.3.1')).toEqual([
      'ips[0].version must be "4" in a 0.3.1 result, found undefined',
    ]);
    const wrong = { ...modern, cniVersion: '0.4.0', ips: [{ address: 'fd00::2/64', version: '4' }] };
    expect(resultShapeProblems(wrong, '0.4.0')).toEqual(['ips[0].version must be "6" in a 0.4.0 result, found "4"']);
  });

  it('names malformed fields', () => {
    const broken = {
      cniVersion: '1.0.0',
      interfaces: [{ mac: 'zz' }],
      ips: [
        { address: '10.0.0.2', interface: 3 },
        { address: '10.0.0.3/24', gateway: 'fd00::1' },
      ],
      routes: [{ dst: 'default', mtu: -1 }],
      dns: { nameservers: ['resolver'] },
    };
    expect(resultShapeProblems(broken, '1.0.0')).toEqual([
      'interfaces[0].name is missing',
      'interfaces[0].mac is not a MAC address: "zz"',
      'ips[0].address is not an address in CIDR notation: "10.0.0.2"',
      'ips[1].gateway fd00::1 is not of the family of 10.0.0.3/24',
      'routes[0].dst is not in CIDR notation: "default"',
      'routes[0].mtu is not an unsigned integer: -1',
      'dns.nameservers is not a list of IP addresses: ["resolver"]',
    ]);
    expect(resultShapeProblems({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24', interface: 0 }] }, '1.0.0')).toEqual([
      'ips[0].interface 0 is out of range (0 interfaces)',
    ]);
    expect(resultShapeProblems('text', '1.0.0')).toEqual(['the result is not a JSON object']);
  });
});

describe('container interface and addresses', () => {
  it('finds CNI_IFNAME, preferring the one in a sandbox', () => {
    expect(containerInterfaceIndex(modern, 'eth0')).toBe(1);
    expect(containerInterfaceIndex({ interfaces: [{ name: 'eth0' }, { name: 'eth0', sandbox: '/x' }] }, 'eth0')).toBe(1);
    expect(containerInterfaceIndex(modern, 'net1')).toBeUndefined();
    expect(addressesOf(modern, 1)).toEqual(['10.0.0.2/24']);
    expect(addressesOf(modern, 0)).toEqual([]);
  });
});

describe('resultSignature', () => {
  it('keeps structure and drops values that differ between attachments', () => {
    const other = {
      ...modern,
      interfaces: [
        { name: 'cni0', mac: '02:00:00:00:00:09' },
        { name: 'eth0', mac: '02:00:00:00:00:08', sandbox: '/run/netns/d' },
      ],
      ips: [{ address: '10.0.0.7/24', gateway: '10.0.0.1', interface: 1 }],
    };
    expect(resultSignature(other, 'eth0')).toEqual(resultSignature(modern, 'eth0'));
    expect(resultSignature(modern, 'eth0')).toEqual([
      'interface 0: other with mac',
      'interface 1: CNI_IFNAME in sandbox with mac',
      'ip v4/24 on 1 with gateway',
      'route 0.0.0.0/0',
      'dns nameservers',
    ]);
  });
});
