import { describe, expect, it } from 'vitest';
import { renderRepair } from '../../../../cli/zonectl/commands/repair.js';
import type { RepairReport } from '../../../../cli/zonectl/repair/run.js';

const empty: RepairReport = { stateDirs: [], attachments: [], zones: [], errors: [], ok: true };
const web = { network: 'zt', containerId: 'web', ifname: 'eth0', stateDir: '/run/cni-zones/ports' };

describe('renderRepair', () => {
  it('says what it restored per attachment and zone, and what it could not', () => {
    const text = renderRepair({
      ...empty,
      attachments: [
        {
          ...web,
          restored: ['tcp/8080 (IPv4) → 10.89.0.5:80', 'tcp/[::1]:8080 → [fd89::5]:80'],
          problems: ['tcp/8081 (IPv4) → 10.89.0.5:81 is held by another entry now (ports zt db eth0): left alone'],
        },
      ],
      zones: [{ network: 'zt', zone: 'zt', restored: ['masquerade of 10.89.0.0/24, fd89::/64'], problems: [] }],
      errors: ['/run/other: cannot list /run/other'],
      ok: false,
    });
    expect(text).toBe(
      [
        'zt web eth0: restored tcp/8080 (IPv4) → 10.89.0.5:80',
        'zt web eth0: restored tcp/[::1]:8080 → [fd89::5]:80',
        'zt web eth0: NOT restored: tcp/8081 (IPv4) → 10.89.0.5:81 is held by another entry now (ports zt db eth0): left alone',
        'zone zt: restored masquerade of 10.89.0.0/24, fd89::/64',
        'failed: /run/other: cannot list /run/other',
        '',
      ].join('\n'),
    );
  });

  it('says when there was nothing to do, and what it looked at', () => {
    expect(renderRepair(empty)).toBe('nothing to repair: nothing is recorded\n');
    const intact = {
      ...empty,
      attachments: [{ ...web, restored: [], problems: [] }],
      zones: [{ network: 'zt', zone: 'zt', restored: [], problems: [] }],
    };
    expect(renderRepair(intact)).toBe('nothing to repair: 1 recorded attachment and 1 zone in place\n');
    const two = { ...empty, attachments: [intact.attachments[0]!, intact.attachments[0]!] };
    expect(renderRepair(two)).toBe('nothing to repair: 2 recorded attachments in place\n');
  });
});
