// The conformance harness proves it can fail: a small, correct fixture plugin passes the cases,
// and each deliberate fault of it (test/conformance/fixtures/fixture-plugin.mjs) is caught by
// the case that checks that part of the spec, while the others stay green.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Status } from '../../conformance/case.js';
import { parseProfile, type Profile } from '../../conformance/profile.js';
import { runProfile } from '../../conformance/runner.js';
import { shellQuote } from '../../conformance/shim.js';
import { makeTestTempDir, repoRoot } from '../support/paths.js';
import { privileged } from '../support/privileges.js';

const fixture = join(repoRoot, 'test/conformance/fixtures/fixture-plugin.mjs');

interface FaultExpectation {
  fault: string;
  /** Cases that must fail, each with what the reason must say. */
  caught: Record<string, RegExp>;
  /** Cases the fault must not disturb. */
  unaffected?: string[];
}

const FAULTS: FaultExpectation[] = [
  {
    fault: 'wrong-code',
    caught: {
      'env.missing-CNI_CONTAINERID@ADD': /code 7 instead of 4/,
      'env.missing-CNI_IFNAME@DEL': /code 7 instead of 4/,
      'env.missing-CNI_PATH@GC': /code 7 instead of 4/,
    },
    unaffected: ['config.bad-json'],
  },
  { fault: 'bad-json-code', caught: { 'config.bad-json': /code 7 instead of 6/ }, unaffected: ['env.missing-CNI_IFNAME@ADD'] },
  { fault: 'version-strict', caught: { 'version.junk-env': /exit 1/ } },
  { fault: 'reuse-ifname', caught: { 'add.existing-ifname': /ADD succeeded although eth0 already existed/ } },
  {
    fault: 'legacy-no-version',
    caught: { 'add.version@0.3.1': /ips\[0\]\.version must be "4" in a 0\.3\.1 result/, 'add.version@0.4.0': /in a 0\.4\.0 result/ },
    unaffected: ['add.version@1.0.0', 'add.version@1.1.0'],
  },
  { fault: 'stdout-noise', caught: { 'output.add-result-only': /stdout is not one JSON object: "configured eth0/ } },
  { fault: 'drop-prevresult', caught: { 'chain.prevresult': /fixture dropped interface fx\w+, interface eth0, ip 10\.232\.0\.\d+\/24/ } },
  {
    fault: 'blind-check',
    caught: { 'check.after-damage': /CHECK passed after deleted eth0; CHECK passed after removed 10\.232/ },
    unaffected: ['check.after-add'],
  },
  { fault: 'non-idempotent-del', caught: { 'del.idempotent': /second DEL: DEL of fixture failed: exit 1: .*nothing to delete/ } },
  { fault: 'leak-link', caught: { 'cleanup.after-del': /\+ link fl\w+ down/ }, unaffected: ['del.idempotent'] },
  { fault: 'shared-ip', caught: { 'concurrency.distinct-ips': /10\.232\.0\.2 given to both/ } },
  {
    fault: 'ignore-capabilities',
    caught: { 'capabilities.ips': /10\.232\.0\.77\/24 is not on eth0/, 'capabilities.mac': /eth0 has MAC .*, requested c2:11:22:33:44:66/ },
  },
  {
    fault: 'gc-noop',
    caught: { 'gc.releases-stale': /still there after GC: \+ state file ipam\/fixture\/10\.232\.0\.\d+/ },
    unaffected: ['gc.keeps-valid'],
  },
  { fault: 'gc-all', caught: { 'gc.keeps-valid': /removed what the valid attachment had: - state file ipam\/fixture\/10\.232\.0\.\d+/ } },
  { fault: 'status-broken', caught: { 'status.ready': /fixture: exit 1: .*"code":50/ } },
  { fault: 'error-no-json', caught: { 'errors.structure': /stdout is not one JSON object/ } },
];

let root: string;

function fixtureProfile(faults: string): Profile {
  const dir = join(root, `plugins-${faults || 'correct'}`);
  mkdirSync(dir, { recursive: true });
  const wrapper = join(dir, 'fixture');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nFIXTURE_FAULTS=${shellQuote(faults)} exec ${shellQuote(process.execPath)} ${shellQuote(fixture)} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  return parseProfile(
    {
      name: 'fixture',
      pluginDirs: [dir],
      conflist: {
        cniVersion: '1.1.0',
        name: 'fixture',
        plugins: [
          { type: 'fixture', subnet: '10.232.0.0/24', dataDir: '{{stateDir}}/ipam', capabilities: { ips: true, mac: true } },
          { type: 'fixture', chained: true },
        ],
      },
      claims: { versions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'], capabilities: ['ips', 'mac'] },
      capabilityArgs: { ips: ['10.232.0.77/24'], mac: 'c2:11:22:33:44:66' },
    },
    `fixture with faults "${faults}"`,
    root,
  );
}

async function statuses(faults: string, only: string[]): Promise<Map<string, { status: Status; reason: string }>> {
  const report = await runProfile(fixtureProfile(faults), { only, jobs: 2, tmpRoot: root });
  return new Map(report.results.map((r) => [r.id, { status: r.status, reason: r.reason }]));
}

const priv = privileged(['ip', 'nsenter']);

priv.describe('conformance harness against a fixture plugin', () => {
  beforeAll(() => {
    root = makeTestTempDir('conformance-fixture');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const every = [...new Set(FAULTS.flatMap((f) => [...Object.keys(f.caught), ...(f.unaffected ?? [])]))];

  priv.it(
    'passes every one of these cases with the correct fixture',
    async () => {
      const results = await statuses('', every);
      const notPassing = [...results].filter(([, r]) => r.status !== 'pass');
      expect(notPassing).toEqual([]);
      expect(results.size).toBe(every.length);
    },
    300_000,
  );

  for (const { fault, caught, unaffected = [] } of FAULTS) {
    priv.it(
      `catches the fault "${fault}" in ${Object.keys(caught).join(', ')}`,
      async () => {
        const results = await statuses(fault, [...Object.keys(caught), ...unaffected]);
        for (const [id, reason] of Object.entries(caught)) {
          expect(results.get(id)?.status, `${id}: ${results.get(id)?.reason}`).toBe('fail');
          expect(results.get(id)?.reason).toMatch(reason);
        }
        for (const id of unaffected) expect(results.get(id), id).toMatchObject({ status: 'pass' });
      },
      120_000,
    );
  }
});
