import { describe, expect, it } from 'vitest';
import { describeUp } from '../../../../cli/zonectl/commands/up.js';
import { parsePortSpec } from '../../../../lib/nspawn/port-spec.js';
import type { UpOutcome } from '../../../../lib/nspawn/up.js';
import { parseConfList } from '../../../../lib/runtime/conf.js';

const outcome: UpOutcome = {
  machine: 'web',
  netns: '/run/netns/web',
  ifname: 'eth0',
  list: parseConfList('{"cniVersion":"1.0.0","name":"zones","plugins":[{"type":"zone"}]}'),
  result: {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'vz-zones' }, { name: 'vzabc' }, { name: 'eth0', mac: '0a:58:0a:59:00:02', sandbox: '/run/netns/web' }],
    ips: [
      { address: '10.89.0.2/24', gateway: '10.89.0.1', interface: 2 },
      { address: 'fd89::2/64', gateway: 'fd89::1', interface: 2 },
    ],
  },
  removedStale: false,
  reusedNetns: false,
};

describe('describeUp', () => {
  it('names the machine, its addresses, MAC and ports', () => {
    expect(describeUp(outcome, [parsePortSpec('8080:80')])).toBe(
      [
        'web is up on network zones: eth0 in /run/netns/web',
        '  address  10.89.0.2/24  (gateway 10.89.0.1)',
        '  address  fd89::2/64  (gateway fd89::1)',
        '  mac      0a:58:0a:59:00:02',
        '  port     tcp 8080 → 80',
        '',
      ].join('\n'),
    );
  });

  it('says when a stale attachment went first', () => {
    expect(describeUp({ ...outcome, removedStale: true }, [])).toContain('stale attachment');
  });
});
