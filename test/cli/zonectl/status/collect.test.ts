// The pure parts of status collection; collectStatus itself reads the kernel and runs plugins,
// and is checked against ip(8) in test/e2e/zonectl-machines.test.ts.
import { describe, expect, it } from 'vitest';
import { dhcpPoolOf, subnetsOf } from '../../../../cli/zonectl/status/collect.js';

describe('subnetsOf', () => {
  it('reads ranges and the legacy subnet, once each', () => {
    expect(
      subnetsOf({ subnet: '10.1.0.0/16', ranges: [[{ subnet: '10.89.0.0/24' }, { subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] }),
    ).toEqual(['10.1.0.0/16', '10.89.0.0/24', 'fd89::/64']);
  });

  it('ignores what is not a subnet list', () => {
    expect(subnetsOf(undefined)).toEqual([]);
    expect(subnetsOf({ ranges: 'x' })).toEqual([]);
    expect(subnetsOf({ ranges: [[null, { subnet: 5 }], 'y'] })).toEqual([]);
  });
});

describe('dhcpPoolOf', () => {
  it("counts from the first IPv4 subnet's network address, as networkd does", () => {
    expect(dhcpPoolOf(['fd89::/64', '10.89.0.0/24'], { offset: 128, size: 100 })).toEqual({
      first: '10.89.0.128',
      last: '10.89.0.227',
      size: 100,
    });
  });

  it('is absent without a pool or an IPv4 subnet', () => {
    expect(dhcpPoolOf(['10.89.0.0/24'], undefined)).toBeUndefined();
    expect(dhcpPoolOf(['fd89::/64'], { offset: 1, size: 1 })).toBeUndefined();
  });
});
