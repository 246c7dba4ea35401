// The conformance harness on the real plugin sets: ours (zone + zone-ipam + zone-ports, the
// compiled executable of scripts/build.mjs) passes every case, MUST and SHOULD; the reference set shows
// the gaps docs/conformance.md explains; and the bundled command works as CI runs it.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadProfile } from '../../conformance/profile.js';
import { runProfile, type ProfileReport } from '../../conformance/runner.js';
import { bundleCopies } from '../support/bundles.js';
import { makeTestTempDir, repoRoot } from '../support/paths.js';
import { privileged } from '../support/privileges.js';

const OUR_PLUGINS = ['zone', 'zone-ipam', 'zone-ports'];
const profiles = join(repoRoot, 'conformance/profiles');

let root: string;
let bin: string;

// The compiled executable, as `make conformance` runs it; built and copied by test/support.
const ourPlugins = bundleCopies('conformance', OUR_PLUGINS, 'compiled');

function notPassing(report: ProfileReport): string[] {
  return report.results.filter((r) => r.status !== 'pass' && r.status !== 'n/a').map((r) => `${r.id}: ${r.status}: ${r.reason}`);
}

const priv = privileged(['ip', 'nsenter', 'nft']);

priv.describe('conformance harness on the real plugin sets', () => {
  beforeAll(async () => {
    root = makeTestTempDir('conformance');
    bin = await ourPlugins.dir();
  }, 180_000);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    ourPlugins.remove();
  });

  priv.it(
    'cni-zones passes every case, MUST and SHOULD',
    async () => {
      const profile = await loadProfile(join(profiles, 'cni-zones.json'), { pluginDirs: [bin] });
      const report = await runProfile(profile, { jobs: 2, tmpRoot: root });
      expect(report.warnings).toEqual([]);
      expect(notPassing(report)).toEqual([]);
      expect(report.summary.blocking).toBe(0);
      // Only cases for what the set does not claim may be n/a; it claims everything the harness checks.
      expect(report.results.filter((r) => r.status === 'n/a')).toEqual([]);
    },
    900_000,
  );

  privileged(['ip', 'nsenter', 'iptables', '/usr/lib/cni/bridge', '/usr/lib/cni/portmap']).it(
    'the reference set shows its known gaps',
    async () => {
      const profile = await loadProfile(join(profiles, 'reference.json'));
      const only = [
        'version.claims',
        'version.echo',
        'add.version@1.0.0',
        'add.version@1.1.0',
        'gc',
        'status',
        'check.after-add',
        'check.after-add-with-capabilities',
      ];
      const report = await runProfile(profile, { only, jobs: 2, tmpRoot: root });
      const byId = new Map(report.results.map((r) => [r.id, r]));
      for (const id of ['version.claims', 'add.version@1.0.0', 'check.after-add'])
        expect(byId.get(id)?.status, `${id}: ${byId.get(id)?.reason}`).toBe('pass');
      for (const id of ['add.version@1.1.0', 'gc.keeps-valid', 'gc.releases-stale', 'status.ready'])
        expect(byId.get(id)?.status, id).toBe('n/a');
      expect(byId.get('version.echo')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/bridge: 0\.3\.0 → "1\.0\.0"/) });
      expect(byId.get('check.after-add-with-capabilities')).toMatchObject({
        status: 'fail',
        reason: expect.stringMatching(/portmap.*could not check ipv6 dnat/),
      });
    },
    600_000,
  );

  priv.it(
    'the bundled command prints JSON, writes JUnit and exits by the MUST cases',
    async () => {
      const junit = join(root, 'report.xml');
      const args = ['dist/conformance.cjs', '--config', join(profiles, 'cni-zones.json'), '--plugin-dir', bin, '--only', 'version,config'];
      const run = await execa('node', [...args, '--json', '--junit', junit], { cwd: repoRoot, reject: false });
      expect(run.exitCode, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as { profiles: ProfileReport[] };
      expect(json.profiles[0]?.results.map((r) => [r.id, r.status])).toEqual([
        ['version.junk-env', 'pass'],
        ['version.echo', 'pass'],
        ['version.claims', 'pass'],
        ['config.bad-json', 'pass'],
        ['config.unsupported-version', 'pass'],
      ]);
      expect(readFileSync(junit, 'utf8')).toContain('<testsuite name="cni-zones" tests="5" failures="0" errors="0" skipped="0"');
      expect(run.stderr).toContain('pass  version.junk-env');

      // The reference fails the MUST of version.echo: exit 1, with the table on stdout.
      const reference = await execa(
        'node',
        ['dist/conformance.cjs', '--config', join(profiles, 'reference.json'), '--only', 'version.echo'],
        { cwd: repoRoot, reject: false },
      );
      expect(reference.exitCode).toBe(1);
      expect(reference.stdout).toMatch(/version\.echo\s+SPEC §5 "VERSION Success"\s+MUST\s+FAIL/);

      const usage = await execa('node', ['dist/conformance.cjs', '--config', 'x.json', '--only', 'nonsense'], {
        cwd: repoRoot,
        reject: false,
      });
      expect(usage.exitCode).toBe(2);
      expect(usage.stderr).toContain('--only matches no area or case: nonsense');
    },
    300_000,
  );
});
