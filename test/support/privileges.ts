// Gatekeeping for privileged tests (root, real namespaces, real system tools).
//
//   const priv = privileged(['nft', 'systemd-networkd']);
//   priv.describe('nft backend', () => { ... });      // or priv.it(...)
//
// Where the requirements are not met the tests are skipped, except on CI
// (`CI=true`): a CI machine is set up to run them, so a missing tool there is a
// broken pipeline and must fail loudly instead of turning green by skipping.

import { findExecutable } from '../../lib/system/programs.js';
import { describe, it, type TestFunction } from 'vitest';

/** Tools that live outside PATH on Debian. */
export function isCi(): boolean {
  return process.env.CI === 'true';
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Absolute path of `tool` (a name looked up in PATH, or a path), or undefined. */
export function findTool(tool: string): string | undefined {
  return findExecutable(tool);
}

/** Why a privileged test needing `tools` cannot run here, or undefined when it can. */
export function requirePrivileges(tools: readonly string[] = []): string | undefined {
  const problems: string[] = [];
  if (!isRoot()) problems.push(`needs root (uid ${process.getuid?.() ?? 'unknown'})`);
  const missing = tools.filter((tool) => findTool(tool) === undefined);
  if (missing.length > 0) problems.push(`missing tools: ${missing.join(', ')}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

export interface Privileged {
  /** Why the tests cannot run, or undefined. */
  readonly reason: string | undefined;
  readonly canRun: boolean;
  describe(name: string, body: () => void): void;
  it(name: string, body: TestFunction, timeout?: number): void;
}

export function privileged(tools: readonly string[] = []): Privileged {
  const reason = requirePrivileges(tools);
  const failOnCi = (): never => {
    throw new Error(`privileged test cannot run on CI: ${reason}`);
  };
  return {
    reason,
    canRun: reason === undefined,
    describe(name, body) {
      if (reason === undefined) describe(name, body);
      else if (isCi()) describe(name, () => it('has the privileges it needs', failOnCi));
      else describe.skip(`${name} (skipped: ${reason})`, body);
    },
    it(name, body, timeout) {
      if (reason === undefined) it(name, body, timeout);
      else if (isCi()) it(name, failOnCi);
      else it.skip(`${name} (skipped: ${reason})`, body);
    },
  };
}
