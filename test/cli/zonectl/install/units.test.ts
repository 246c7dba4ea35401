import { describe, expect, it } from 'vitest';
import { enableUnits, type Systemd } from '../../../../cli/zonectl/install/units.js';

function fakeSystemd(running: boolean, failing?: string): Systemd & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    running: () => running,
    async systemctl(args) {
      calls.push(args.join(' '));
      return args.join(' ') === failing ? { exitCode: 1, stderr: 'Job failed.\n' } : { exitCode: 0, stderr: '' };
    },
  };
}

const UNITS = [
  { name: 'cni-zones-repair.service', start: true },
  { name: 'cni-zones-gc.service', start: false },
];

describe('enableUnits', () => {
  it('reloads once, enables each unit and starts only those that should run now', async () => {
    const systemd = fakeSystemd(true);
    expect(await enableUnits('/etc/systemd/system', UNITS, systemd)).toEqual([
      { unit: 'cni-zones-repair.service', outcome: { enabled: true, started: true } },
      { unit: 'cni-zones-gc.service', outcome: { enabled: true, started: false } },
    ]);
    expect(systemd.calls).toEqual([
      'daemon-reload',
      'enable cni-zones-repair.service',
      'start cni-zones-repair.service',
      'enable cni-zones-gc.service',
    ]);
  });

  it('only writes the units without systemd, or into a directory systemd does not read, and says what to run', async () => {
    const none = fakeSystemd(false);
    const [repair] = await enableUnits('/etc/systemd/system', UNITS, none);
    expect(repair?.outcome).toMatchObject({ enabled: false, why: 'systemd is not PID 1 here' });
    const elsewhere = fakeSystemd(true);
    expect((await enableUnits('/tmp/units', UNITS, elsewhere)).map((u) => u.outcome)).toEqual([
      {
        enabled: false,
        why: 'systemd does not read units from /tmp/units',
        next: 'systemctl link /tmp/units/cni-zones-repair.service && systemctl daemon-reload && systemctl enable --now cni-zones-repair.service',
      },
      {
        enabled: false,
        why: 'systemd does not read units from /tmp/units',
        next: 'systemctl link /tmp/units/cni-zones-gc.service && systemctl daemon-reload && systemctl enable cni-zones-gc.service',
      },
    ]);
    expect([...none.calls, ...elsewhere.calls]).toEqual([]);
  });

  it('says which systemctl failed for which unit, and still enables the others', async () => {
    const systemd = fakeSystemd(true, 'enable cni-zones-repair.service');
    expect(await enableUnits('/etc/systemd/system', UNITS, systemd)).toEqual([
      { unit: 'cni-zones-repair.service', outcome: { enabled: false, failed: 'systemctl enable cni-zones-repair.service: Job failed.' } },
      { unit: 'cni-zones-gc.service', outcome: { enabled: true, started: false } },
    ]);
    const reload = fakeSystemd(true, 'daemon-reload');
    expect((await enableUnits('/etc/systemd/system', UNITS, reload)).map((u) => u.outcome)).toEqual([
      { enabled: false, failed: 'systemctl daemon-reload: Job failed.' },
      { enabled: false, failed: 'systemctl daemon-reload: Job failed.' },
    ]);
  });
});
