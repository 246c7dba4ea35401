// Shared by the lib/runtime tests: a scratch directory per test, the fixture plugins, and
// the recorder's log read back as objects.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CniError } from '../../../lib/cni/errors.js';
import { parseConfList, type NetworkConfigList } from '../../../lib/runtime/conf.js';
import type { RuntimeConf } from '../../../lib/runtime/runtime-conf.js';
import { makeTestTempDir, repoRoot } from '../../support/paths.js';

// Every plugin run is a node start (100-300 ms on a busy machine); a test runs up to six.
export const PROCESS_TEST_TIMEOUT_MS = 30_000;

export const fixturePluginDir = join(repoRoot, 'test', 'fixtures', 'plugins');

export interface Sandbox {
  dir: string;
  cacheDir: string;
  recordFile: string;
  remove(): void;
}

export function makeSandbox(prefix = 'runtime'): Sandbox {
  const dir = makeTestTempDir(prefix);
  return {
    dir,
    cacheDir: join(dir, 'cache'),
    recordFile: join(dir, 'calls.jsonl'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// What a runtime would not pass on: the runner's CNI_* and the CA bundle that slows every node start.
export function pluginTestEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k !== 'NODE_EXTRA_CA_CERTS' && !k.startsWith('CNI_') && !k.startsWith('RECORDER_')) env[k] = v;
  }
  return env;
}

export interface Call {
  command: string;
  env: Record<string, string>;
  stdin: Record<string, unknown>;
}

export function readCalls(sandbox: Sandbox): Call[] {
  if (!existsSync(sandbox.recordFile)) return [];
  return readFileSync(sandbox.recordFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Call);
}

/** A list of recorder plugins, each logging to the sandbox; `plugins` are extra config fields per plugin. */
export function recorderList(sandbox: Sandbox, plugins: Record<string, unknown>[], top: Record<string, unknown> = {}): NetworkConfigList {
  const list = {
    cniVersion: '1.1.0',
    name: 'testnet',
    ...top,
    plugins: plugins.map((p) => ({ type: 'recorder', recordFile: sandbox.recordFile, ...p })),
  };
  return parseConfList(JSON.stringify(list), 'test.conflist');
}

/** The error a promise rejects with (the test fails if it resolves). */
export async function failureOf(promise: Promise<unknown>): Promise<CniError> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof CniError)) throw new Error(`expected a CniError, got ${String(outcome)}`);
  return outcome;
}

/** "COMMAND tag" of every recorded call, in order. */
export function callSummary(sandbox: Sandbox): string[] {
  return readCalls(sandbox).map((c) => `${c.command} ${String(c.stdin.tag)}`);
}

export function runtimeConf(sandbox: Sandbox, overrides: Partial<RuntimeConf> = {}): RuntimeConf {
  return {
    containerId: 'c0ffee',
    netns: '/run/netns/test',
    ifname: 'eth0',
    args: [],
    capabilityArgs: {},
    cacheDir: sandbox.cacheDir,
    pluginDirs: [fixturePluginDir],
    timeoutMs: 20_000,
    env: pluginTestEnv(),
    ...overrides,
  };
}
