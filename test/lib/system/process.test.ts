import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isProcessError, ProcessError, runChecked, runProcess } from '../../../lib/system/process.js';

const dir = mkdtempSync(join(tmpdir(), 'process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function errorOf(p: Promise<unknown>): Promise<ProcessError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(e instanceof ProcessError)) throw new Error(`expected a ProcessError, got ${String(e)}`);
  return e;
}

describe('runProcess', () => {
  it('feeds stdin and keeps the exit code, stdout and stderr', async () => {
    const run = await runProcess('sh', ['-c', 'cat; echo err >&2; exit 3'], { stdin: 'in' });
    expect(run).toEqual({ exitCode: 3, signal: undefined, stdout: 'in', stderr: 'err\n', timedOut: false });
  });

  it('passes exactly the environment and working directory it is given', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
    const run = await runProcess('/bin/sh', ['-c', 'echo "$A-${B:-unset}-$(pwd)"'], { env: { A: 'x', PATH: '/bin:/usr/bin' }, cwd: '/' });
    expect(run.stdout).toBe('x-unset-/\n');
  });

  it('kills the whole process group on timeout', async () => {
    const started = Date.now();
    const run = await runProcess('sh', ['-c', 'sleep 10 & sleep 10'], { timeoutMs: 100, processGroup: true });
    expect(run).toMatchObject({ timedOut: true, exitCode: undefined, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('kills the program itself on timeout, and stops waiting for pipes it passed on', async () => {
    const started = Date.now();
    const run = await runProcess('sh', ['-c', 'echo early; sleep 10 & exec sleep 10'], { timeoutMs: 200 });
    expect(run).toMatchObject({ timedOut: true, exitCode: undefined, stdout: 'early\n' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('survives a program that exits before reading its input', async () => {
    expect((await runProcess('true', [], { stdin: 'x'.repeat(1 << 20) })).exitCode).toBe(0);
  });

  it('rejects a program that cannot start, by reason', async () => {
    const missing = await errorOf(runProcess('/nonexistent/x', []));
    expect(missing).toMatchObject({ reason: 'not-found', message: expect.stringMatching(/^cannot run \/nonexistent\/x: .*ENOENT/) });
    expect(missing.details).toMatch(/ENOENT/);
    const notExecutable = join(dir, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    const refused = await errorOf(runProcess(notExecutable, []));
    expect(refused.reason).toBe('spawn-failed');
    expect(isProcessError(refused, 'spawn-failed')).toBe(true);
  });
});

describe('runChecked', () => {
  it('resolves with stdout on exit 0', async () => {
    expect(await runChecked('echo', ['ok'])).toBe('ok\n');
  });

  it('fails naming the command and the end of its error output', async () => {
    const e = await errorOf(runChecked('sh', ['-c', 'echo bad >&2; exit 2']));
    expect(e).toMatchObject({ reason: 'failed', message: 'sh -c echo bad >&2; exit 2 exited with code 2: bad', details: 'bad' });
    expect(e.result?.exitCode).toBe(2);
  });

  it('fails with reason timeout when it overruns', async () => {
    const e = await errorOf(runChecked('sleep', ['10'], { timeoutMs: 100 }));
    expect(e).toMatchObject({ reason: 'timeout', message: 'sleep 10 timed out after 100 ms' });
  });
});
