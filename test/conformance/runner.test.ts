import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fail, HarnessError, notApplicable, pass, type ConformanceCase } from '../../conformance/case.js';
import { parseProfile, type Profile } from '../../conformance/profile.js';
import { runProfile, summarize, unknownFilters } from '../../conformance/runner.js';
import type { Sandbox, SandboxFactory } from '../../conformance/sandbox.js';

const pluginDir = mkdtempSync(join(tmpdir(), 'runner-test-'));
afterAll(() => rmSync(pluginDir, { recursive: true, force: true }));

function profile(extra: Partial<Profile> = {}): Profile {
  const p = parseProfile(
    {
      name: 'fake',
      pluginDirs: [pluginDir],
      conflist: { cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'fake' }] },
      claims: { versions: ['1.0.0'] },
    },
    'fake.json',
    '/',
  );
  return { ...p, ...extra };
}

let sandboxes = 0;
let cleanups = 0;
const fakeSandbox: SandboxFactory = async () => {
  sandboxes += 1;
  const sandbox: Sandbox = {
    host: { name: 'fake-host', path: '/nonexistent' },
    dir: '/nonexistent',
    stateDir: '/nonexistent/state',
    cacheDir: '/nonexistent/cache',
    pluginDirs: ['/nonexistent/bin'],
    namespace: () => Promise.reject(new Error('no namespaces in unit tests')),
    removeNamespace: () => Promise.resolve(),
    defer: () => undefined,
    cleanup: async () => {
      cleanups += 1;
      return [];
    },
  };
  return sandbox;
};

function fakeCase(id: string, run: ConformanceCase['run'], extra: Partial<ConformanceCase> = {}): ConformanceCase {
  return { id, area: 'add', title: id, clause: 'SPEC §2 "ADD"', level: 'MUST', run, ...extra };
}

describe('runProfile', () => {
  it('runs each selected case in its own sandbox and reports in case order', async () => {
    sandboxes = 0;
    cleanups = 0;
    const cases = [
      fakeCase('add.slow', async () => {
        await new Promise((r) => setTimeout(r, 30));
        return pass('slow');
      }),
      fakeCase('add.fast', async (ctx) => pass(`at ${ctx.version}`)),
      fakeCase('del.skipped', async () => pass(), { area: 'del' }),
    ];
    const report = await runProfile(profile(), { cases, only: ['add'], jobs: 2, sandboxFactory: fakeSandbox });
    expect(report.results.map((r) => [r.id, r.status, r.reason])).toEqual([
      ['add.slow', 'pass', 'slow'],
      ['add.fast', 'pass', 'at 1.0.0'],
    ]);
    expect(sandboxes).toBe(2);
    expect(cleanups).toBe(2);
    expect(report.warnings).toEqual([`plugin "fake" is not in ${pluginDir}`]);
  });

  it('turns n/a, thrown errors, harness errors and timeouts into results', async () => {
    const cases = [
      fakeCase('add.na', async () => pass(), { notApplicable: () => 'not claimed' }),
      fakeCase('add.na-at-run', async () => notApplicable('disabled')),
      fakeCase('add.throws', async () => {
        throw new Error('ADD failed: code 7');
      }),
      fakeCase('add.harness', async () => {
        throw new HarnessError('ip is broken');
      }),
      fakeCase('add.hangs', () => new Promise(() => undefined)),
    ];
    const report = await runProfile(profile(), { cases, sandboxFactory: fakeSandbox, caseTimeoutMs: 50 });
    expect(report.results.map((r) => [r.id, r.status, r.reason])).toEqual([
      ['add.na', 'n/a', 'not claimed'],
      ['add.na-at-run', 'n/a', 'disabled'],
      ['add.throws', 'fail', 'ADD failed: code 7'],
      ['add.harness', 'error', 'ip is broken'],
      ['add.hangs', 'fail', 'case add.hangs did not finish within 50 ms'],
    ]);
    expect(report.summary.blocking).toBe(3);
  });

  it('maps the profile expected failures to xfail and xpass', async () => {
    const cases = [fakeCase('add.known', async () => fail('broken')), fakeCase('add.fixed', async () => pass())];
    const p = profile({ expectedFailures: { 'add.known': 'being written', 'add.fixed': 'was broken' } });
    const report = await runProfile(p, { cases, sandboxFactory: fakeSandbox });
    expect(report.results.map((r) => [r.status, r.reason])).toEqual([
      ['xfail', 'expected to fail (being written): broken'],
      ['xpass', 'passed although expected to fail (was broken)'],
    ]);
    expect(report.summary.blocking).toBe(0);
  });

  it('reports a sandbox that cannot be made as a harness error', async () => {
    const report = await runProfile(profile(), {
      cases: [fakeCase('add.x', async () => pass())],
      sandboxFactory: () => Promise.reject(new Error('ip netns add: permission denied')),
    });
    expect(report.results[0]).toMatchObject({ status: 'error', reason: 'cannot set up the case: ip netns add: permission denied' });
  });
});

describe('summarize', () => {
  it('counts statuses and pass rates per level, ignoring n/a', () => {
    const base = { area: 'add' as const, title: '', clause: '', reason: '', durationMs: 0 };
    const s = summarize([
      { ...base, id: 'a', level: 'MUST', status: 'pass' },
      { ...base, id: 'b', level: 'MUST', status: 'xfail' },
      { ...base, id: 'c', level: 'MUST', status: 'n/a' },
      { ...base, id: 'd', level: 'SHOULD', status: 'fail' },
    ]);
    expect(s.byStatus).toMatchObject({ pass: 1, xfail: 1, 'n/a': 1, fail: 1 });
    expect(s.passRate).toEqual({ MUST: 50, SHOULD: 0 });
    expect(s.blocking).toBe(0);
  });
});

describe('unknownFilters', () => {
  it('names filters that select nothing', () => {
    expect(unknownFilters(['env', 'add.version', 'nonsense', 'gc.keeps-valid'])).toEqual(['nonsense']);
  });
});
