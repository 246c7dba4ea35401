// Cleanup that does not depend on a test finishing: a test process that exits, throws or
// is signalled takes its namespaces and processes with it; the global setup removes only
// orphans (whose test process is gone) and its teardown fails on a leak of this run.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { setup, teardown } from '../support/global-setup.js';
import { isOrphanedNetns, isOwnedByRun, removeOrphanedLeftovers } from '../support/leftovers.js';
import { createNetns, deleteNetns, listNetns, removeNetns } from '../support/netns.js';
import { makeTestTempDir, supportDir } from '../support/paths.js';
import { privileged } from '../support/privileges.js';
import { isProcessAlive } from '../support/processes.js';

const priv = privileged(['ip', 'nsenter']);

interface Abandoned {
  namespaces: string[];
  sleeper: number;
}

let dir: string;
let script: string;

beforeAll(async () => {
  dir = makeTestTempDir('cleanup');
  script = join(dir, 'abandoned-sandbox.mjs');
  // Node 20 cannot run TypeScript; bundle the fixture, leaving packages to node_modules.
  await build({
    entryPoints: [join(supportDir, 'fixtures', 'abandoned-sandbox.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Start the fixture, wait for what it made, end it by `ending` (or a signal), return what it made. */
async function abandonSandbox(ending: 'exit' | 'throw' | 'wait', signal?: NodeJS.Signals): Promise<Abandoned> {
  const child = execa('node', [script, ending], { reject: false, cwd: dir, nodePath: process.execPath });
  const made = await new Promise<Abandoned>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as Abandoned));
    void child.then((result) => reject(new Error(`fixture ended early: ${result.stderr}`)));
  });
  if (signal) child.kill(signal);
  const result = await child;
  if (signal) expect(result.signal).toBe(signal);
  else expect(result.exitCode).not.toBe(0);
  return made;
}

async function expectGone(made: Abandoned): Promise<void> {
  const remaining = await listNetns();
  expect(made.namespaces.filter((name) => remaining.includes(name))).toEqual([]);
  expect(isProcessAlive(made.sleeper)).toBe(false);
}

for (const [ending, signal] of [['exit'], ['throw'], ['wait', 'SIGTERM'], ['wait', 'SIGINT']] as const) {
  priv.it(`removes namespaces and processes when a test process ends by ${signal ?? ending}`, async () => {
    await expectGone(await abandonSandbox(ending, signal));
  });
}

priv.it('treats only namespaces whose test process is gone as orphans', async () => {
  const live = await createNetns('live');
  const deadOwner = (await execa('sh', ['-c', 'echo $$'])).stdout;
  const orphan = `czt-${deadOwner}-1-orphan`;
  await execa('ip', ['netns', 'add', orphan]);
  try {
    expect(isOrphanedNetns(live.name)).toBe(false);
    expect(isOwnedByRun(live.name, process.pid)).toBe(true);
    expect(isOrphanedNetns(orphan)).toBe(true);
    const removed = await removeOrphanedLeftovers();
    expect(removed.namespaces).toContain(orphan);
    expect(removed.namespaces).not.toContain(live.name);
    expect(await listNetns()).toContain(live.name);
  } finally {
    await removeNetns(live);
    await deleteNetns(orphan);
  }
});

priv.it('fails the global teardown when a namespace of the run is left behind, and removes it', async () => {
  await setup();
  const leaked = await createNetns('leak');
  const exitCode = process.exitCode;
  await expect(teardown()).rejects.toThrow(`network namespaces left behind: ${leaked.name}`);
  expect(process.exitCode).toBe(1); // how teardown fails a vitest run
  process.exitCode = exitCode;
  expect(await listNetns()).not.toContain(leaked.name);
  await removeNetns(leaked);
  await setup();
  await expect(teardown()).resolves.toBeUndefined();
});
