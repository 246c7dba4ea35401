// Private copies of the executables scripts/build.mjs bundles into dist/bin, for end-to-end
// tests: rebuilt from the sources, then copied into .test-tmp so a concurrent build of another
// engineer cannot swap a file under a running test. node_modules (koffi, netlink) is found
// upward from there, as from dist/bin. A build that fails (sources mid-edit elsewhere) or a
// copy caught while a concurrent build was writing (it does not start) is tried again.

import { chmodSync, copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanupOnExit } from './exit-cleanup.js';
import { makeTestTempDir, repoRoot } from './paths.js';
import { runPlugin } from './plugin-process.js';

export interface BundleCopies {
  /** The directory holding the copies, made on first call and then shared. */
  dir(): Promise<string>;
  /** Remove the copies; the next dir() makes new ones. */
  remove(): void;
}

const ATTEMPTS = 5;
const RETRY_DELAY_MS = 3000;

/** Copies of dist/bin/<names>, made once per test process under .test-tmp/<label>-bundle-<pid>. */
export function bundleCopies(label: string, names: readonly string[]): BundleCopies {
  let made: Promise<string> | undefined;
  let madeDir: string | undefined;
  let cancelExitCleanup: (() => void) | undefined;
  return {
    dir() {
      made ??= (async () => {
        const dir = makeTestTempDir(`${label}-bundle-${process.pid}`);
        madeDir = dir;
        // Also when vitest stops the worker with a signal, which skips its own hooks.
        cancelExitCleanup = cleanupOnExit(() => rmSync(dir, { recursive: true, force: true }));
        // The bundles are CJS; Node decides by the nearest package.json (the repository's says ESM).
        writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
        let problem = '';
        for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
          if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          problem = await buildAndCopy(dir, names);
          if (problem === '') return dir;
        }
        throw new Error(`no working ${names.join(', ')} from dist/bin: ${problem}`);
      })();
      return made;
    },
    remove() {
      if (madeDir) rmSync(madeDir, { recursive: true, force: true });
      cancelExitCleanup?.();
      made = undefined;
      madeDir = undefined;
      cancelExitCleanup = undefined;
    },
  };
}

/** '' when `dir` holds fresh copies of dist/bin/<names> that all start, else why not. */
async function buildAndCopy(dir: string, names: readonly string[]): Promise<string> {
  const startedMs = Date.now();
  // Another executable failing to build does not matter to tests that do not use it.
  const build = await execa('node', ['scripts/build.mjs'], { cwd: repoRoot, reject: false });
  for (const name of names) {
    const built = join(repoRoot, 'dist/bin', name);
    if (!existsSync(built) || statSync(built).mtimeMs < startedMs - 1000) return `scripts/build.mjs did not rebuild ${name}:\n${build.stderr}`;
    copyFileSync(built, join(dir, name));
    chmodSync(join(dir, name), 0o755);
  }
  for (const name of names) {
    const problem = await startProblem(join(dir, name), name);
    if (problem) return problem;
  }
  return '';
}

/** zonectl answers --version, a plugin answers VERSION. */
async function startProblem(executable: string, name: string): Promise<string> {
  const run =
    name === 'zonectl'
      ? await execa(executable, ['--version'], { reject: false })
      : await runPlugin(executable, { command: 'VERSION', stdin: { cniVersion: '1.1.0' } });
  return run.exitCode === 0 ? '' : `${name} does not start: ${String(run.stdout)}${String(run.stderr)}`;
}
