import { describe, expect, it } from 'vitest';
import { droppedFrom } from '../../../conformance/cases/chain.js';

describe('droppedFrom', () => {
  const prev = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'cni0' }, { name: 'eth0', sandbox: '/run/netns/c' }],
    ips: [{ address: '10.0.0.2/24', interface: 1 }],
    routes: [{ dst: '0.0.0.0/0' }],
  };

  it('accepts a superset', () => {
    const next = { ...prev, interfaces: [...prev.interfaces, { name: 'tap0' }], dns: { nameservers: ['10.0.0.1'] } };
    expect(droppedFrom(prev, next)).toEqual([]);
  });

  it('names what went missing', () => {
    expect(droppedFrom(prev, { cniVersion: '0.4.0', interfaces: [{ name: 'eth0' }] })).toEqual([
      'cniVersion 1.0.0 became 0.4.0',
      'interface cni0',
      'interface eth0',
      'ip 10.0.0.2/24',
      'route 0.0.0.0/0',
    ]);
  });
});
