import { describe, expect, it } from 'vitest';
import { errorCodeProblem, errorStructureProblem, failureProblem, stdoutObject } from '../../conformance/error-shape.js';
import type { ProcessOutcome } from '../../conformance/process.js';

function outcome(exitCode: number | undefined, stdout: string, extra: Partial<ProcessOutcome> = {}): ProcessOutcome {
  return { exitCode, stdout, stderr: '', signal: undefined, timedOut: false, failure: undefined, durationMs: 1, ...extra };
}

const error4 = JSON.stringify({ cniVersion: '1.0.0', code: 4, msg: 'required environment variables missing: CNI_IFNAME', details: '' });

describe('errorCodeProblem', () => {
  it('accepts the expected code naming the variables', () => {
    expect(errorCodeProblem(outcome(1, error4), 4, ['CNI_IFNAME'])).toBeUndefined();
  });

  it('says what is wrong otherwise', () => {
    expect(errorCodeProblem(outcome(0, '{}'), 4)).toBe('succeeded (exit 0) where it must fail with code 4');
    expect(errorCodeProblem(outcome(1, 'oops', { stderr: 'panic' }), 4)).toBe('exit 1 without an error object on stdout (stderr: panic)');
    expect(errorCodeProblem(outcome(1, error4), 7)).toBe('code 4 instead of 7 (required environment variables missing: CNI_IFNAME)');
    expect(errorCodeProblem(outcome(1, error4), 4, ['CNI_NETNS'])).toMatch(/does not name CNI_NETNS/);
    expect(errorCodeProblem(outcome(undefined, '', { timedOut: true }), 4)).toBe('timed out');
  });
});

describe('errorStructureProblem', () => {
  it('accepts {cniVersion, code, msg[, details]}', () => {
    expect(errorStructureProblem(outcome(1, error4))).toBeUndefined();
    expect(errorStructureProblem(outcome(1, JSON.stringify({ cniVersion: '1.0.0', code: 7, msg: 'x' })))).toBeUndefined();
  });

  it('names missing keys and non-JSON output', () => {
    expect(errorStructureProblem(outcome(1, JSON.stringify({ code: 6, msg: 'bad' })))).toMatch(/lacks cniVersion/);
    expect(errorStructureProblem(outcome(1, 'error: bad'))).toMatch(/not one JSON object/);
    expect(errorStructureProblem(outcome(0, ''))).toBe('exit 0 for a failure');
  });
});

describe('failureProblem and stdoutObject', () => {
  it('only cares about a non-zero exit', () => {
    expect(failureProblem(outcome(1, ''))).toBeUndefined();
    expect(failureProblem(outcome(0, ''))).toMatch(/succeeded/);
  });

  it('reads one JSON object from stdout, or nothing', () => {
    expect(stdoutObject(outcome(0, ' {"a":1}\n'))).toEqual({ a: 1 });
    expect(stdoutObject(outcome(0, '[1]'))).toBeUndefined();
    expect(stdoutObject(outcome(0, 'noise\n{"a":1}'))).toBeUndefined();
  });
});
