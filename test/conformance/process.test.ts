import { describe, expect, it } from 'vitest';
import { describeOutcome, runOutcome } from '../../conformance/process.js';

describe('runOutcome', () => {
  it('keeps exit code, stdout, stderr and feeds stdin', async () => {
    const o = await runOutcome('/bin/sh', ['-c', 'cat; echo err >&2; exit 3'], { stdin: 'hello' });
    expect(o).toMatchObject({ exitCode: 3, stdout: 'hello', stderr: 'err\n', timedOut: false, failure: undefined });
    expect(describeOutcome(o)).toBe('exit 3: hello');
  });

  it('kills the whole process group on timeout', async () => {
    const o = await runOutcome('/bin/sh', ['-c', 'sleep 5 & sleep 5'], { timeoutMs: 100 });
    expect(o.timedOut).toBe(true);
    expect(o.exitCode).toBeUndefined();
    expect(o.durationMs).toBeLessThan(3000);
    expect(describeOutcome(o)).toBe('timed out');
  });

  it('reports a program that cannot start', async () => {
    const o = await runOutcome('/nonexistent/plugin', []);
    expect(o.exitCode).toBeUndefined();
    expect(o.failure).toMatch(/ENOENT/);
    expect(describeOutcome(o)).toMatch(/^could not run: /);
  });

  it('passes exactly the environment it is given', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
    const o = await runOutcome('/bin/sh', ['-c', 'echo "$A-${B:-unset}"'], { env: { A: 'x', PATH: '/bin:/usr/bin' } });
    expect(o.stdout).toBe('x-unset\n');
  });
});
