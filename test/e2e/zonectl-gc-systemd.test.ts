// The boot GC unit under a real systemd: inside a booted machine (test/support/systemd-machine.ts)
// `zonectl install --example` writes and enables cni-zones-gc.service beside the repair unit.
// The example network's store then holds three allocations: one an earlier boot made (its boot
// record says so), one this boot made, and one host-local made (no boot record: unknown). Started
// as at boot, the unit succeeds and releases only the earlier boot's.

import { join } from 'node:path';
import { afterAll, expect, onTestFinished } from 'vitest';
import { bundleCopies } from '../support/bundles.js';
import { bootSystemdMachine, type SystemdMachine, systemdMachineSuite } from '../support/systemd-machine.js';

const suite = systemdMachineSuite();
// Built from the sources now, so the machine runs this tree's zonectl.
const bundles = bundleCopies('zonectl-gc-systemd', ['zonectl']);
afterAll(() => bundles.remove());
const DIST = '/srv/cni-zones-dist';
const STORE = '/var/lib/cni/networks/cni-zones';
const BOOT_RECORDS = '/var/lib/cni/networks/.cni-zones-boot/cni-zones';
const EARLIER_BOOT = '00000000-0000-4000-8000-00000000b007';

async function systemctl(machine: SystemdMachine, ...args: string[]): Promise<string> {
  return (await machine.exec('systemctl', args, { reject: false })).stdout.trim();
}

/** An allocation as zone-ipam writes it: the address file and, when `bootId` is given, its boot record. */
function allocation(address: string, containerId: string, bootId: string | undefined): string {
  // JSON's escapes, written as they are (printf leaves a %s argument alone).
  const key = `${containerId}\\r\\neth0`;
  const record = bootId === undefined ? '' : `printf '{"bootId":"%s","key":"%s"}\\n' '${bootId}' '${key}' >${BOOT_RECORDS}/${address}\n`;
  return `printf '${containerId}\\r\\neth0' >${STORE}/${address}\n${record}`;
}

suite.it(
  'zonectl install enables cni-zones-gc.service; started as at boot it releases only what an earlier boot left',
  async () => {
    const machine = await bootSystemdMachine({ bindReadOnly: [{ host: await bundles.dir(), machine: DIST }] });
    onTestFinished(() => machine.stop());

    const install = await machine.exec(join(DIST, 'zonectl'), ['install', '--example'], { reject: false, timeoutMs: 120_000 });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    expect(install.stdout).toContain('cni-zones-gc.service: enabled (zonectl gc --boot at each boot)');
    expect(await systemctl(machine, 'is-enabled', 'cni-zones-gc.service')).toBe('enabled');
    expect(await systemctl(machine, 'is-enabled', 'cni-zones-repair.service')).toBe('enabled');
    // Enabled for boot, not run by the install.
    expect(await systemctl(machine, 'is-active', 'cni-zones-gc.service')).toBe('inactive');
    expect(await systemctl(machine, 'show', '-p', 'WantedBy', '--value', 'cni-zones-gc.service')).toBe('multi-user.target');
    expect(await systemctl(machine, 'show', '-p', 'RequiredBy', '--value', 'cni-zones-gc.service')).toBe('');
    expect((await systemctl(machine, 'show', '-p', 'Wants', '--value', 'multi-user.target')).split(' ')).toContain('cni-zones-gc.service');

    const thisBoot = (await machine.exec('cat', ['/proc/sys/kernel/random/boot_id'])).stdout.trim();
    const plant = await machine.exec('sh', [
      '-ec',
      `mkdir -p ${STORE} ${BOOT_RECORDS}\n${allocation('10.89.0.50', 'ghost', EARLIER_BOOT)}${allocation('10.89.0.51', 'live', thisBoot)}${allocation('10.89.0.52', 'hostlocal', undefined)}`,
    ]);
    expect(plant.exitCode, plant.stderr).toBe(0);

    const start = await machine.exec('systemctl', ['start', 'cni-zones-gc.service'], { reject: false, timeoutMs: 120_000 });
    const journal = (await machine.exec('journalctl', ['-u', 'cni-zones-gc.service', '-o', 'cat', '--no-pager'], { reject: false })).stdout;
    expect(start.exitCode, `${start.stderr}\n${journal}`).toBe(0);
    expect(await systemctl(machine, 'show', '-p', 'Result', '--value', 'cni-zones-gc.service')).toBe('success');
    expect(journal).toContain('cni-zones: removed attachment ghost eth0 (from boot 00000000…, not this one)');
    expect(journal).toContain('cni-zones: released address 10.89.0.50 (ghost eth0)');
    const left = (await machine.exec('ls', ['-A', STORE])).stdout.split('\n').filter((n) => n.startsWith('10.'));
    expect(left.sort()).toEqual(['10.89.0.51', '10.89.0.52']);
  },
  600_000,
);
