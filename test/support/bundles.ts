// Private copies of the executables scripts/build.mjs makes, for end-to-end tests: rebuilt
// from the sources when they are older than them, then copied into .test-tmp so a concurrent
// build of another engineer cannot swap a file under a running test. Two forms:
// - 'compiled' (the default, what we ship): dist/native/cni-zones, hard-linked (the build
//   renames a new file over the old one, so a link keeps a complete file), with each
//   requested name a symlink to it, as an installation lays it out;
// - 'node': the CJS bundles of dist/bin, which find node_modules (koffi) upward from .test-tmp.
// A build that fails (sources mid-edit elsewhere) or a copy that does not start is tried again.

import { chmodSync, copyFileSync, existsSync, linkSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanupOnExit } from './exit-cleanup.js';
import { makeTestTempDir, repoRoot } from './paths.js';
import { runPlugin } from './plugin-process.js';

export type BundleForm = 'compiled' | 'node';

const MULTI_CALL = 'cni-zones';

export interface BundleCopies {
  /** The directory holding the copies, made on first call and then shared. */
  dir(): Promise<string>;
  /** Remove the copies; the next dir() makes new ones. */
  remove(): void;
}

const ATTEMPTS = 5;
const RETRY_DELAY_MS = 3000;
const SOURCE_DIRS = ['lib', 'plugins', 'cli', 'conformance', 'scripts'];

/** Copies of the built `names`, made once per test process under .test-tmp/<label>-<form>-<pid>. */
export function bundleCopies(label: string, names: readonly string[], form: BundleForm = 'compiled'): BundleCopies {
  let made: Promise<string> | undefined;
  let madeDir: string | undefined;
  let cancelExitCleanup: (() => void) | undefined;
  return {
    dir() {
      made ??= (async () => {
        const dir = makeTestTempDir(`${label}-${form}-${process.pid}`);
        madeDir = dir;
        // Also when vitest stops the worker with a signal, which skips its own hooks.
        cancelExitCleanup = cleanupOnExit(() => rmSync(dir, { recursive: true, force: true }));
        let problem = '';
        for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
          if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          problem = await buildAndCopy(dir, names, form);
          if (problem === '') return dir;
        }
        throw new Error(`no working ${names.join(', ')} (${form}): ${problem}`);
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

/** The file the build makes for `name` in `form`. */
function builtPath(name: string, form: BundleForm): string {
  return form === 'compiled' ? join(repoRoot, 'dist/native', MULTI_CALL) : join(repoRoot, 'dist/bin', name);
}

/** '' when `dir` holds fresh copies of `names` that all start, else why not. */
async function buildAndCopy(dir: string, names: readonly string[], form: BundleForm): Promise<string> {
  const outputs = [...new Set(names.map((name) => builtPath(name, form)))];
  if (!outputs.every((file) => isNewerThanSources(file))) {
    const build = await execa('node', ['scripts/build.mjs', ...(form === 'node' ? ['--node-only'] : [])], { cwd: repoRoot, reject: false });
    const stale = outputs.find((file) => !isNewerThanSources(file));
    if (stale) return `scripts/build.mjs did not rebuild ${stale}:\n${build.stderr}`;
  }
  if (form === 'compiled') placeCompiled(dir, names);
  else placeNodeBundles(dir, names);
  for (const name of names) {
    const problem = await startProblem(join(dir, name), name);
    if (problem) return problem;
  }
  return '';
}

function placeCompiled(dir: string, names: readonly string[]): void {
  const target = join(dir, MULTI_CALL);
  rmSync(target, { force: true });
  try {
    linkSync(builtPath(MULTI_CALL, 'compiled'), target);
  } catch {
    copyFileSync(builtPath(MULTI_CALL, 'compiled'), target); // another file system
  }
  for (const name of names) {
    rmSync(join(dir, name), { force: true });
    symlinkSync(MULTI_CALL, join(dir, name));
  }
}

function placeNodeBundles(dir: string, names: readonly string[]): void {
  // The bundles are CJS; Node decides by the nearest package.json (the repository's says ESM).
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  for (const name of names) {
    copyFileSync(builtPath(name, 'node'), join(dir, name));
    chmodSync(join(dir, name), 0o755);
  }
}

let newestSourceMs: number | undefined;

/** Whether `file` exists and is newer than every source file (looked up once per process). */
function isNewerThanSources(file: string): boolean {
  newestSourceMs ??= Math.max(...SOURCE_DIRS.map((dir) => newestUnder(join(repoRoot, dir))));
  return existsSync(file) && statSync(file).mtimeMs >= newestSourceMs;
}

function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** zonectl answers --version, a plugin answers VERSION; zone-dns (no plugin) says its usage and exits 2. */
async function startProblem(executable: string, name: string): Promise<string> {
  if (name === 'zone-dns') {
    const run = await execa(executable, [], { reject: false });
    return run.exitCode === 2 && run.stderr.includes('usage: cni-zones zone-dns') ? '' : `${name} does not start: ${run.stderr}`;
  }
  const run =
    name === 'zonectl'
      ? await execa(executable, ['--version'], { reject: false })
      : await runPlugin(executable, { command: 'VERSION', stdin: { cniVersion: '1.1.0' } });
  return run.exitCode === 0 ? '' : `${name} does not start: ${String(run.stdout)}${String(run.stderr)}`;
}
