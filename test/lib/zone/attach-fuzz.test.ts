// Property: whatever a runtime sends — any command, CNI_* variables, config, runtimeConfig,
// prevResult, or no config at all — the dispatcher and the zone plugin's checks before the
// first change of an ADD answer either with success or with exactly one CNI error object: a
// known code, never the untyped 100, in the version the config asked for, code 4 naming the
// variable, nothing on stderr. In-process and side-effect free: the handlers stop where ADD
// would start changing things (the built plugin runs the same inputs in test/e2e/zone-fuzz).
// CNI_ZONES_FUZZ_RUNS (make fuzz) raises the number of cases, CNI_ZONES_FUZZ_SEED replays one.

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, type Handlers, type PluginIO } from '../../../lib/cni/dispatch.js';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { loadZoneConfig, planAttach } from '../../../lib/zone/plan.js';
import { systemWorld } from '../../../lib/zone/world.js';
import { IPAM_ARGS } from '../../../lib/ipam/args.js';
import { KNOWN_CODES } from '../../support/hostile-inputs.js';
import { expectedErrorVersion, type FuzzCall, fuzzCall, fuzzRuns, fuzzSeed, type FuzzTargets } from '../../support/fuzz-inputs.js';
import { makeTestTempDir } from '../../support/paths.js';

const RUNS = fuzzRuns(1000, 0.8);

/** The zone plugin's handlers up to the first change: plan, open the container's namespace, stop. */
const world = systemWorld();
const checksOnly: Handlers = {
  add: async (req) => {
    planAttach(world, req);
    world.openContainer(req.env.netns).close();
    return { cniVersion: req.conf.cniVersion };
  },
  check: async (req) => {
    loadZoneConfig(req.conf);
    world.openContainer(req.env.netns).close();
  },
  del: async () => undefined,
  status: async (req) => void loadZoneConfig(req.conf),
  gc: async (req) => void loadZoneConfig(req.conf),
};

interface Answer {
  code: number;
  stdout: string;
  stderr: string;
}

async function answer(call: FuzzCall): Promise<Answer> {
  const env: NodeJS.ProcessEnv = {};
  const set = (name: string, value: string | undefined) => value !== undefined && (env[name] = value);
  set('CNI_COMMAND', call.command);
  set('CNI_CONTAINERID', call.containerId);
  set('CNI_IFNAME', call.ifname);
  set('CNI_NETNS', call.netns);
  set('CNI_ARGS', call.args);
  set('CNI_PATH', call.path);
  let stdout = '';
  let stderr = '';
  const io: PluginIO = { env, readStdin: async () => call.stdin, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await dispatch({ name: 'zone', about: 'zone', knownArgs: [...IPAM_ARGS, 'MAC'] }, checksOnly, io);
  return { code, stdout, stderr };
}

/** Why `a` is not a proper answer to `call`, or undefined. */
function answerProblem(call: FuzzCall, a: Answer): string | undefined {
  if (call.command === undefined || call.command === '') return a.code === 0 && a.stdout === '' ? undefined : 'the about text is no error';
  if (a.stderr !== '') return `stderr: ${a.stderr}`;
  const lines = a.stdout.split('\n').filter(Boolean);
  if (lines.length !== 1 || !a.stdout.endsWith('\n')) {
    return a.code === 0 && a.stdout === '' && call.command !== 'ADD' && call.command !== 'VERSION'
      ? undefined
      : `stdout is ${JSON.stringify(a.stdout)}`;
  }
  const json = JSON.parse(lines[0]!) as Record<string, unknown>;
  if (a.code === 0) return call.command === 'ADD' || call.command === 'VERSION' ? undefined : `${call.command} printed ${lines[0]}`;
  const code = json.code as number;
  if (!Number.isInteger(code) || !KNOWN_CODES.has(code)) return `unknown code ${String(json.code)}`;
  if (code === ErrorCode.Internal) return `an untyped failure: ${String(json.msg)}`;
  if (typeof json.msg !== 'string' || json.msg === '' || typeof json.details !== 'string') return 'msg or details missing';
  if (json.cniVersion !== expectedErrorVersion(call.stdin))
    return `cniVersion ${String(json.cniVersion)}, expected ${expectedErrorVersion(call.stdin)}`;
  if (code === ErrorCode.InvalidEnvironment && !/CNI_[A-Z]+/.test(json.msg)) return `code 4 without the variable's name: ${json.msg}`;
  return undefined;
}

describe('zone plugin edge, in-process: every answer is a result or one proper CNI error', () => {
  let dir: string;
  let targets: FuzzTargets;
  beforeAll(() => {
    dir = makeTestTempDir('attach-fuzz');
    for (const sub of ['data', 'ports', 'network', 'cni-path', 'netns']) mkdirSync(join(dir, sub));
    execFileSync('mkfifo', [join(dir, 'netns', 'fifo')]);
    writeFileSync(join(dir, 'netns', 'file'), '');
    symlinkSync('/proc/self/ns/net', join(dir, 'netns', 'self'));
    targets = {
      network: 'fuzz',
      ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]],
      dataDir: join(dir, 'data'),
      portsStateDir: join(dir, 'ports'),
      dnsStateDir: join(dir, 'dns'),
      networkDir: join(dir, 'network'),
      cniPath: join(dir, 'cni-path'),
      netns: [
        '/proc/self/ns/net',
        '/proc/thread-self/ns/net',
        join(dir, 'netns', 'fifo'),
        join(dir, 'netns', 'file'),
        join(dir, 'netns', 'self'),
        join(dir, 'netns'),
        join(dir, 'netns', 'gone'),
      ],
      netnsDir: join(dir, 'netns'),
      reservedContainerIds: [],
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`holds for ${RUNS} generated calls`, async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCall(targets), async (call) => {
        const a = await answer(call);
        expect(answerProblem(call, a), `${JSON.stringify(call)}\n→ ${a.stdout}${a.stderr}`).toBeUndefined();
      }),
      { numRuns: RUNS, ...fuzzSeed() },
    );
  }, 600_000);
});
