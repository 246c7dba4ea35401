import { describe, expect, it } from 'vitest';
import { containerTargets } from '../../../lib/ports/targets.js';

describe('containerTargets', () => {
  it('takes the first address of each family on the container side', () => {
    const targets = containerTargets({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'vz-web' }, { name: 'vzabc' }, { name: 'eth0', sandbox: '/run/netns/x' }],
      ips: [
        { address: '10.88.0.1/24', interface: 0 },
        { address: '10.89.0.5/24', interface: 2, gateway: '10.89.0.1' },
        { address: '10.89.0.6/24', interface: 2 },
        { address: 'fd89:0::5/64', interface: 2 },
      ],
    });
    expect(targets).toEqual({
      4: { family: 4, address: '10.89.0.5', subnet: '10.89.0.0/24' },
      6: { family: 6, address: 'fd89::5', subnet: 'fd89::/64' },
    });
  });

  it('accepts addresses without interface, writes host routes without prefix, and copes with nothing', () => {
    expect(containerTargets({ cniVersion: '1.0.0', ips: [{ address: '10.1.1.5/32' }] })).toEqual({
      4: { family: 4, address: '10.1.1.5', subnet: '10.1.1.5' },
    });
    expect(containerTargets(undefined)).toEqual({});
    expect(containerTargets({ cniVersion: '1.0.0' })).toEqual({});
  });
});
