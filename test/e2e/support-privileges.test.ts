// privileges.ts: what a privileged test needs, and that a test which cannot run is
// skipped locally but fails on CI (checked by running a fixture file in a nested vitest).

import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot, supportDir } from '../support/paths.js';
import { findTool, isRoot, privileged, requirePrivileges } from '../support/privileges.js';

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: { assertionResults: { failureMessages: string[] }[] }[];
}

function environmentWithoutVitest(ci: string | undefined): Record<string, string | undefined> {
  const own = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && name !== 'TEST'));
  return { ...own, CI: ci, NODE_ENV: undefined };
}

async function runFixture(ci: string | undefined): Promise<{ exitCode: number | undefined; report: VitestJsonReport }> {
  const config = join(supportDir, 'fixtures', 'vitest.fixture.config.ts');
  const result = await execa('npx', ['vitest', 'run', '--config', config, '--reporter=json'], {
    cwd: repoRoot,
    env: environmentWithoutVitest(ci),
    extendEnv: false,
    reject: false,
  });
  return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as VitestJsonReport };
}

describe('requirePrivileges', () => {
  it('finds tools in PATH and in their Debian places outside it', () => {
    expect(findTool('sh')).toMatch(/\/sh$/);
    expect(findTool('/bin/sh')).toBe('/bin/sh');
    expect(findTool('czt-no-such-tool')).toBeUndefined();
    expect(findTool('/nonexistent/tool')).toBeUndefined();
  });

  it('gives the reasons a test cannot run, or nothing', () => {
    const reason = requirePrivileges(['sh', 'czt-no-such-tool', 'czt-other-missing']);
    expect(reason).toContain('missing tools: czt-no-such-tool, czt-other-missing');
    if (isRoot()) expect(requirePrivileges(['sh'])).toBeUndefined();
    else expect(requirePrivileges(['sh'])).toMatch(/needs root/);
    expect(privileged(['czt-no-such-tool']).canRun).toBe(false);
  });

  it('skips tests that cannot run, except on CI where they fail', async () => {
    const [local, ci] = await Promise.all([runFixture(undefined), runFixture('true')]);
    expect(local.exitCode).toBe(0);
    expect(local.report).toMatchObject({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 2 });
    expect(ci.exitCode).toBe(1);
    expect(ci.report).toMatchObject({ numPassedTests: 0, numFailedTests: 2 });
    const messages = ci.report.testResults.flatMap((file) => file.assertionResults.flatMap((test) => test.failureMessages));
    expect(messages.join('\n')).toContain('privileged test cannot run on CI: missing tools: czt-no-such-tool');
  });
});
