// Property: the built `zone` plugin, run as a runtime runs it inside a test "host" namespace,
// answers any generated call (test/support/fuzz-inputs.ts: command, CNI_* variables, config,
// runtimeConfig, prevResult, stdin that is no config) either with success — an ADD is then
// undone by a DEL that must succeed too — or with exactly one CNI error object (known code, the
// version stdin asked for, non-zero exit, no stack trace, within seconds). Either way the host
// namespace is as before: links, addresses, routes, rules, nft, forwarding sysctls.
//
// An anchor attachment of another network keeps the zone's bridge, masquerade, forwarding and a
// localhost port in place throughout, so a good ADD followed by its DEL leaves the host exactly
// as it was. CNI_ZONES_FUZZ_RUNS (make fuzz) raises the number of cases; CNI_ZONES_FUZZ_SEED
// replays a failing run.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it, onTestFinished } from 'vitest';
import { expectedErrorVersion, type FuzzCall, fuzzCall, fuzzRuns, fuzzSeed, type FuzzTargets } from '../support/fuzz-inputs.js';
import { failureShapeProblem, hostilePaths } from '../support/hostile-inputs.js';
import { makeTestTempDir } from '../support/paths.js';
import { type PluginOutcome, runPlugin } from '../support/plugin-process.js';
import { privileged } from '../support/privileges.js';
import { diffSnapshots, type NamespaceSnapshot, snapshotNamespace } from '../support/root-namespace.js';
import {
  allocations,
  bundleZone,
  createZoneWorld,
  DUAL_STACK,
  hostVeths,
  links,
  settle,
  useZoneBundle,
  zoneTools,
} from '../support/zone-world.js';

const priv = privileged([...zoneTools, 'mkfifo']);

const RUNS = fuzzRuns(120, 0.2);
/** No answer may take longer: a hang is a failure, not a slow case. */
const ANSWER_WITHIN_MS = 10_000;
const ANCHOR = 'anchor-ctr';

useZoneBundle();

function pluginRun(call: FuzzCall, executable: string, host: string) {
  return (command = call.command) =>
    runPlugin(executable, {
      // undefined: no CNI_COMMAND at all
      command: command ?? '',
      ...(command === undefined && { env: { CNI_COMMAND: undefined } }),
      ...(call.containerId !== undefined && { containerId: call.containerId }),
      ...(call.ifname !== undefined && { ifname: call.ifname }),
      ...(call.netns !== undefined && { netns: call.netns }),
      ...(call.args !== undefined && { args: call.args }),
      ...(call.path !== undefined && { path: call.path }),
      stdin: call.stdin,
      inNamespace: host,
      timeoutMs: ANSWER_WITHIN_MS + 5_000,
    });
}

/** Why `outcome` is not a proper answer to `call`, or undefined. */
function answerProblem(call: FuzzCall, outcome: PluginOutcome): string | undefined {
  if (outcome.durationMs > ANSWER_WITHIN_MS || outcome.timedOut) return `answered after ${Math.round(outcome.durationMs)} ms`;
  if (outcome.exitCode === 0) return undefined;
  const shape = failureShapeProblem(outcome);
  if (shape) return shape;
  const version = (outcome.json as { cniVersion: string }).cniVersion;
  return version === expectedErrorVersion(call.stdin) ? undefined : `cniVersion ${version}, expected ${expectedErrorVersion(call.stdin)}`;
}

priv.describe('zone plugin, built, run as a runtime runs it', () => {
  it(`answers ${RUNS} generated calls properly and leaves the host as it was`, async () => {
    const executable = await bundleZone();
    const portsStateDir = makeTestTempDir('fuzz-ports');
    const scratch = makeTestTempDir('fuzz-scratch');
    onTestFinished(() => {
      rmSync(portsStateDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    });
    for (const sub of ['network', 'cni-path']) mkdirSync(join(scratch, sub));
    const world = await createZoneWorld({
      network: 'anchor',
      zone: 'fuzz',
      ranges: DUAL_STACK,
      plugin: { capabilities: { portMappings: true }, portsStateDir },
    });
    // ports on 127.0.0.1 and on every address of both families: route_localnet and the subnets'
    // shared hairpin pairs (owned by nobody, kept by design) are in place before the first call
    const anchorPorts = [
      { hostPort: 65000, containerPort: 80, hostIP: '127.0.0.1' },
      { hostPort: 65001, containerPort: 80 },
    ];
    // The anchor is another network on the same zone: its IPAM store is not the fuzz network's,
    // so its addresses come from a part of the subnet the fuzz calls never get (they allocate
    // from the start and ask for .50, .51, .60 and ::50); two attachments with one address in
    // one zone would be a broken network, and the later one's port marks replace the other's.
    const anchorRanges = [
      [{ subnet: '10.89.0.0/24', rangeStart: '10.89.0.240', rangeEnd: '10.89.0.250' }],
      [{ subnet: 'fd89::/64', rangeStart: 'fd89::f000', rangeEnd: 'fd89::f0ff' }],
    ];
    await world.add({
      container: await world.container('anchor'),
      containerId: ANCHOR,
      conf: world.conf({ runtimeConfig: { portMappings: anchorPorts } }, { ranges: anchorRanges }),
    });
    const pool = [await world.container('ct1'), await world.container('ct2'), await world.container('ct3')];
    const files = await hostilePaths();
    const targets: FuzzTargets = {
      network: 'fuzz',
      ranges: DUAL_STACK,
      dataDir: world.dataDir,
      portsStateDir,
      // the anchor's: one zone, one name server
      dnsStateDir: world.dnsStateDir,
      networkDir: join(scratch, 'network'),
      cniPath: join(scratch, 'cni-path'),
      // /proc/1/ns/net is left out on purpose: here PID 1 is the machine's (see zone-host-safety)
      netns: [
        ...[1, 2, 3, 4].flatMap(() => pool.map((ns) => ns.path)),
        world.host.path,
        '/proc/self/ns/net',
        files.fifo,
        files.socket,
        files.file,
        files.directory,
        files.selfLink,
        join(files.dir, 'gone'),
      ],
      netnsDir: files.dir,
      reservedContainerIds: [ANCHOR],
    };
    await settle(world.host);
    let before: NamespaceSnapshot = await snapshotNamespace(world.host);
    const tally = { added: 0, failed: 0, other: 0 };

    await fc.assert(
      fc.asyncProperty(fuzzCall(targets), async (call) => {
        const run = pluginRun(call, executable, world.host.path);
        const outcome = await run();
        const context = `${JSON.stringify(call)}\n→ exit ${outcome.exitCode}: ${outcome.stdout}${outcome.stderr}`;
        expect(answerProblem(call, outcome), context).toBeUndefined();
        if (outcome.exitCode === 0 && call.command === 'ADD') {
          tally.added += 1;
          const del = await run('DEL');
          expect(del.exitCode, `DEL after ${context}\n→ ${del.stdout}${del.stderr}`).toBe(0);
        } else if (outcome.exitCode === 0) tally.other += 1;
        else tally.failed += 1;
        const after = await snapshotNamespace(world.host);
        expect(diffSnapshots(before, after), context).toEqual([]);
        expect(allocations(join(world.dataDir, 'fuzz')), context).toEqual([]);
        before = after;
      }),
      { numRuns: RUNS, endOnFailure: true, ...fuzzSeed() },
    );

    console.log(
      `zone fuzz: ${RUNS} calls, ${tally.added} ADDs that succeeded (each undone by DEL), ${tally.other} other successes, ${tally.failed} proper failures`,
    );
    // the pool holds nothing but lo, the anchor is whole, only its ports record is left
    for (const ns of pool)
      expect(
        (await links(ns)).map((l) => l.ifname),
        ns.name,
      ).toEqual(['lo']);
    expect(await hostVeths(world.host)).toHaveLength(1);
    expect(allocations(world.store)).toHaveLength(2);
    expect(readdirSync(portsStateDir).filter((name) => name.endsWith('.json'))).toHaveLength(1);
  }, 3_600_000);
});
