// One time budget per call ("timeoutSeconds", default 55): whatever the zone plugin waits on
// — a lock another process holds, a delegated IPAM plugin that never answers — the call ends
// within its budget with a CNI error, leaves nothing behind an ordinary DEL cannot remove, and
// the container attaches once the obstacle is gone.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, onTestFinished } from 'vitest';
import { makeTestTempDir, repoRoot } from '../support/paths.js';
import { runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { diffSnapshots, snapshotNamespace } from '../support/root-namespace.js';
import { allocations, bundleZone, createZoneWorld, expectCniError, hostVeths, useZoneBundle, zoneTools } from '../support/zone-world.js';

const priv = privileged([...zoneTools, 'flock']);

const TRY_AGAIN_LATER = 11;
const PLUGIN_TIMEOUT = 101;
// Starting the plugin behind nsenter and reading its answer, on a loaded machine.
const SLACK_MS = 1_500;

useZoneBundle();

/** Hold the flock(2) lock on `path` from another process (flock itself: --close keeps it from sleep). */
async function holdLock(path: string): Promise<() => void> {
  const holder = execa('flock', ['--exclusive', '--close', path, 'sleep', '120'], { reject: false });
  onTestFinished(() => void holder.kill('SIGKILL'));
  // flock takes the lock before it starts sleep
  for (let i = 0; i < 200; i++) {
    const probe = await execa('flock', ['--nonblock', path, 'true'], { reject: false });
    if (probe.exitCode !== 0) return () => void holder.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`flock never took ${path}`);
}

priv.describe('zone plugin: one time budget per call', () => {
  priv.it('ends an ADD stuck behind a held IPAM store lock with 11 within "timeoutSeconds", host unchanged', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('locked');
    mkdirSync(world.store, { recursive: true });
    const release = await holdLock(join(world.store, 'lock'));
    const conf = { ...world.conf(), timeoutSeconds: 2 };
    const hostBefore = await snapshotNamespace(world.host);

    const outcome = await world.run('ADD', { container: ct, containerId: 'ctr-locked', conf });
    expectCniError(outcome, TRY_AGAIN_LATER, /lock/);
    expect(outcome.durationMs).toBeLessThan(2_000 + SLACK_MS);
    expect(diffSnapshots(hostBefore, await snapshotNamespace(world.host)), 'host namespace').toEqual([]);

    // DEL also waits for the store, and also within its budget
    const del = await world.run('DEL', { container: ct, containerId: 'ctr-locked', conf });
    expectCniError(del, TRY_AGAIN_LATER, /lock/);
    expect(del.durationMs).toBeLessThan(2_000 + SLACK_MS);

    release();
    const added = await world.add({ container: ct, containerId: 'ctr-locked', conf });
    expect(added.ips).toHaveLength(2);
    await world.del({ container: ct, containerId: 'ctr-locked', conf });
    expect(await hostVeths(world.host)).toEqual([]);
    expect(allocations(world.store)).toEqual([]);
  });

  priv.it('kills a delegated IPAM that never answers and rolls back within the budget', async () => {
    const world = await createZoneWorld();
    const ct = await world.container('hung');
    const records = makeTestTempDir('ipam-hang');
    onTestFinished(() => rmSync(records, { recursive: true, force: true }));
    const recordFile = join(records, 'calls');
    const conf = { ...world.conf(), timeoutSeconds: 3, ipam: { type: 'recorder' }, recordFile, sleepMs: { ADD: 120_000 } };
    const hostBefore = await snapshotNamespace(world.host);

    const outcome = await runPlugin(await bundleZone(), {
      command: 'ADD',
      containerId: 'ctr-hung',
      ifname: 'eth0',
      netns: ct.path,
      path: join(repoRoot, 'test/fixtures/plugins'),
      stdin: conf,
      inNamespace: world.host,
      timeoutMs: 20_000,
    });
    expect(outcome.timedOut, 'the plugin answered by itself').toBe(false);
    expect(outcome.exitCode, outcome.stdout).toBe(1);
    expect([PLUGIN_TIMEOUT, TRY_AGAIN_LATER], outcome.stdout).toContain((outcome.json as { code: number }).code);
    expect(outcome.durationMs).toBeLessThan(3_000 + SLACK_MS);
    // the rollback still told the IPAM plugin to let go of whatever it may have taken
    const calls = readFileSync(recordFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { command: string }).command);
    expect(calls).toEqual(['ADD', 'DEL']);
    expect(diffSnapshots(hostBefore, await snapshotNamespace(world.host)), 'host namespace').toEqual([]);
  });
});
