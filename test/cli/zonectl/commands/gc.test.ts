import { describe, expect, it } from 'vitest';
import { renderGcReport } from '../../../../cli/zonectl/commands/gc.js';

describe('renderGcReport', () => {
  it('lists what went', () => {
    expect(
      renderGcReport({
        network: 'zones',
        removedAttachments: [
          { containerId: 'web', ifname: 'eth0', netns: '/run/netns/web', why: 'namespace /run/netns/web is gone' },
          { containerId: 'db', ifname: 'eth0', netns: '/run/netns/db', why: 'from boot 1a2b3c4d…, not this one' },
        ],
        removedLinks: ['vz0123456789abc (web eth0)'],
        releasedAddresses: ['10.89.0.2 (web eth0)'],
      }),
    ).toBe(
      [
        'zones: removed attachment web eth0 (namespace /run/netns/web is gone)',
        'zones: removed attachment db eth0 (from boot 1a2b3c4d…, not this one)',
        'zones: removed host interface vz0123456789abc (web eth0)',
        'zones: released address 10.89.0.2 (web eth0)',
        '',
      ].join('\n'),
    );
  });

  it('says when there was nothing, or why it did not run', () => {
    expect(renderGcReport({ network: 'z', removedAttachments: [], removedLinks: [], releasedAddresses: [] })).toBe(
      'z: nothing to collect\n',
    );
    expect(
      renderGcReport({
        network: 'z',
        skipped: 'the network sets disableGC',
        removedAttachments: [],
        removedLinks: [],
        releasedAddresses: [],
      }),
    ).toBe('z: skipped (the network sets disableGC)\n');
  });
});
