// `zonectl demo`, as `make demo` runs it (dist/native/zonectl, the compiled executable, built
// first): it passes, says what it showed (demo-client fetching demo-web by name across the
// zone, the published port on 127.0.0.1 and on [::1]), and leaves nothing behind — no
// namespace, no process, no change to the root network namespace (the e2e global teardown
// compares snapshots), no file in the host's /run. Once with what this machine has (networkd,
// nspawn), once on the fallbacks (netlink backend, plain namespaces).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, expect, it } from 'vitest';
import { listNetns } from '../support/netns.js';
import { repoRoot } from '../support/paths.js';
import { listProcesses } from '../support/processes.js';
import { privileged } from '../support/privileges.js';

const suite = privileged(['ip', 'nsenter', 'unshare', 'setpriv', 'mount', 'nft', 'busybox']);
const zonectl = join(repoRoot, 'dist/native/zonectl');
const PAGE = 'hello from demo-web, a machine in zone demo';

beforeAll(async () => {
  if (suite.canRun) await execa('node', ['scripts/build.mjs'], { cwd: repoRoot });
}, 120_000);

function demoProcesses(): number[] {
  return listProcesses()
    .filter((p) => p.args.includes('__demo-sandbox'))
    .map((p) => p.pid);
}

/** Named namespaces other than tests' own (`czt-*`, which concurrent test runs make and remove). */
async function otherNetns(): Promise<string[]> {
  return (await listNetns()).filter((name) => !name.startsWith('czt-')).sort();
}

async function runDemo(args: string[] = []) {
  const before = await otherNetns();
  const result = await execa(zonectl, ['demo', ...args], { reject: false, timeout: 55_000, env: { NODE_EXTRA_CA_CERTS: undefined } });
  expect(await otherNetns()).toEqual(before);
  expect(demoProcesses()).toEqual([]);
  expect(existsSync('/run/cni-zones-demo')).toBe(false);
  expect(existsSync('/run/netns/demo-web')).toBe(false);
  return result;
}

suite.describe('zonectl demo', () => {
  it('runs the whole story in a sandbox and passes', async () => {
    const result = await runDemo();
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('Summary: the demo passed');
    expect(result.stdout).toContain(`published port:      127.0.0.1:8080 gave "${PAGE}"`);
    expect(result.stdout).toContain(`published on [::1]:  [::1]:8080 gave "${PAGE}"`);
    // By name: the zone's name server at the gateway answers for the machine `zonectl up` named.
    expect(result.stdout).toContain(`across the zone:     demo-client got "${PAGE}" from http://demo-web.demo.internal/`);
    expect(result.stdout).toMatch(/● zone demo: healthy/);
    expect(result.stdout).toMatch(/Name server: +running; answers \*\.demo\.internal/);
    expect(result.stdout).toMatch(/demo-web +demo-web\.demo\.internal +eth0/);
    expect(result.stdout).not.toContain('FAILED');
    // Every step reported, cleanup included.
    expect(result.stdout).toMatch(/\[\d+\] zonectl down demo-web\n\s+ok/);
  });

  it('passes on the fallbacks: the netlink backend and plain namespaces', async () => {
    const result = await runDemo(['--netlink', '--namespaces']);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('backend netlink, plain network namespaces');
    expect(result.stdout).toContain('demo-client  10.89.0.');
    expect(result.stdout).toContain(`across the zone:     demo-client got "${PAGE}" from http://demo-web.demo.internal/`);
    expect(result.stdout).toContain(`published on [::1]:  [::1]:8080 gave "${PAGE}"`);
    expect(result.stdout).toContain('Summary: the demo passed');
  });
});
