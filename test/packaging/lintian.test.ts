// lintian on the package `make deb` built (dist/deb/): no error, and no warning beyond the ones
// listed below with why. Overrides for what a Bun-compiled executable cannot avoid are shipped in
// the package (packaging/deb/lintian-overrides.ts) and shown here too. lintian's full output is
// printed. Measured: ~15 s for the 109 MB executable on 2 cores, most of it in the binary checks.
// Without lintian or the package the test is skipped, except on CI, where it fails.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { VERSION } from '../../cli/zonectl/version.js';
import { runProcess } from '../../lib/system/process.js';
import { findExecutable } from '../../lib/system/programs.js';
import { debFileName } from '../../packaging/deb/build.js';
import { repoRoot } from '../support/paths.js';
import { isCi } from '../support/privileges.js';

const deb = join(repoRoot, 'dist', 'deb', debFileName(VERSION));

/** Warnings left, by tag, with why. */
const ALLOWED_WARNINGS: Record<string, string> = {
  'systemd-service-file-refers-to-unusual-wantedby-target':
    'cni-zones-repair.service is WantedBy=nftables.service firewalld.service on purpose: starting either ' +
    '(each may flush the ruleset) must start the repair after it (cli/zonectl/install/repair-unit.ts).',
};

const lintian = findExecutable('lintian', `${process.env.PATH ?? ''}:/usr/bin`);
const missing =
  lintian === undefined
    ? 'lintian is not installed (scripts/install-system-deps.sh)'
    : existsSync(deb)
      ? undefined
      : `${deb} is missing: run "make deb"`;

if (missing !== undefined && !isCi()) {
  it.skip(`lintian finds no error and no unexplained warning (skipped: ${missing})`, () => {});
} else {
  it('lintian finds no error and no unexplained warning in the package', async () => {
    if (missing !== undefined) throw new Error(`cannot run on CI: ${missing}`);
    const started = Date.now();
    const result = await runProcess(lintian!, ['--pedantic', '--display-info', '--show-overrides', '--tag-display-limit', '0', deb], {
      timeoutMs: 300_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    console.log(`lintian ${deb} (${((Date.now() - started) / 1000).toFixed(1)} s, exit ${result.exitCode}):\n${output}`);
    expect(result.timedOut).toBe(false);
    const tags = output.split('\n').filter((line) => /^[EW]: /.test(line));
    expect(tags.filter((line) => line.startsWith('E: '))).toEqual([]);
    const unexplained = tags.filter((line) => !Object.keys(ALLOWED_WARNINGS).some((tag) => line.includes(`: ${tag} `)));
    expect(unexplained).toEqual([]);
    // It read the whole package: each override shipped was used (shown as O: with --show-overrides,
    // which also makes lintian exit 2 for the overridden errors, so the exit code says nothing more).
    for (const override of ['unstripped-binary-or-object', 'embedded-library', 'hardening-no-pie', 'hardening-no-relro']) {
      expect(output).toContain(`O: cni-zones: ${override} `);
    }
    expect(output).not.toMatch(/unused-override|mismatched-override/);
  }, 300_000);
}
