// `zonectl demo`, as `make demo` runs it (dist/native/zonectl, the compiled executable, built
// first): it passes, says what it showed (demo-client fetching demo-web by name across the
// zone, the published port on 127.0.0.1 and on [::1]), and leaves nothing behind — no
// namespace, no process, no change to the root network namespace (the e2e global teardown
// compares snapshots), no file in the host's /run. Once with what this machine has (networkd,
// nspawn), once on the fallbacks (netlink backend, plain namespaces). Then `--hosts 2`: zone
// demo across two sandboxed hosts over VXLAN, demo-client on host 1 fetching demo-web's page on
// host 2, each host read back empty of the zone before its namespace goes (the demo prints
// that, and a leftover fails it); and stopped by Ctrl-C halfway, which leaves nothing either.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
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
  for (const name of ['demo-web', 'demo-client', 'demo-host1', 'demo-host2']) expect(existsSync(`/run/netns/${name}`)).toBe(false);
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

const HOSTS_PAGE = 'hello from demo-web on host 2, zone demo';

/** The step titled `title` and the line under it: ok, and what it said. */
function stepOutcome(stdout: string, title: string): string | undefined {
  const lines = stdout.split('\n');
  const at = lines.findIndex((line) => /^\[\d+\] /.test(line) && line.replace(/^\[\d+\] /, '') === title);
  return at < 0 ? undefined : lines[at + 1]?.trim().replace(/^ok \([^)]*\)/, 'ok');
}

suite.describe('zonectl demo --hosts 2', () => {
  for (const args of [[], ['--namespaces']]) {
    it(`shows a zone across two sandboxed hosts over VXLAN ${args.join(' ')}`, async () => {
      const result = await runDemo(['--hosts', '2', ...args]);
      const { stdout } = result;
      expect(result.exitCode, `${stdout}\n${result.stderr}`).toBe(0);
      expect(stdout).toContain('Summary: the two-host demo passed');
      expect(stdout).not.toContain('FAILED');
      // each host's VXLAN port floods to the other host, and the zone runs at 1500 less 50
      expect(stepOutcome(stdout, "the zone's VXLAN port vx-demo on each host, and its peers")).toBe(
        'ok: host 1: vx-demo VNI 4242 from 192.0.2.1 port 4789, floods to 192.0.2.2; host 2: vx-demo VNI 4242 from 192.0.2.2 port 4789, floods to 192.0.2.1',
      );
      expect(stepOutcome(stdout, "MTU: under0's 1500 less 50 for VXLAN")).toBe(
        'ok: 1450 on vz-demo on host 1, vx-demo on host 1, vz-demo on host 2, vx-demo on host 2, eth0 of demo-web, eth0 of demo-client',
      );
      expect(stdout).toMatch(/demo-web {5}10\.89\.0\.110\/24, fd89::110\/64 on host 2/);
      expect(stdout).toMatch(/demo-client {2}10\.89\.0\.10\/24, fd89::10\/64 on host 1/);
      // the fetch across the hosts, by address: host 1's name server does not know host 2's members
      expect(stdout).toContain(`across the hosts:    demo-client (host 1) got "${HOSTS_PAGE}" from http://10.89.0.110/`);
      expect(stdout).toContain('names on host 2:     demo-web.demo.internal is 10.89.0.110, fd89::110');
      expect(stdout).toContain('names on host 1:     demo-web.demo.internal is not known there (NXDOMAIN)');
      // read back before the namespaces go: no link, no nft rule of the zone, no process
      for (const host of ['host 1', 'host 2']) {
        expect(stepOutcome(stdout, `${host}: zonectl remove-zone demo`)).toBe('ok: zone demo: removed vx-demo, vz-demo');
        expect(stepOutcome(stdout, `${host}: nothing of zone demo left`)).toMatch(
          /^ok: links: lo, under0; nft tables: .*, no rule or set element of zone demo$/,
        );
      }
      expect(stepOutcome(stdout, "remove the underlay and the hosts' namespaces")).toBe('ok: removed under0, demo-host1, demo-host2');
      expect(stepOutcome(stdout, 'no process left running in the sandbox')).toBe('ok: only the demo itself');
      expect(stdout).toContain('left behind:         nothing');
    });
  }

  it('leaves nothing behind when stopped by Ctrl-C halfway', async () => {
    const before = await otherNetns();
    // Its own process group, as a shell's foreground job: Ctrl-C is SIGINT to the group.
    const demo = execa(zonectl, ['demo', '--hosts', '2'], { reject: false, detached: true, timeout: 55_000 });
    let seen = '';
    demo.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const deadline = Date.now() + 40_000;
    while (!/^\[7\] host 1: zonectl up demo-client/m.test(seen) && Date.now() < deadline) await sleep(20);
    expect(seen).toMatch(/^\[6\] host 2: start demo-web/m);
    process.kill(-(demo.pid as number), 'SIGINT');
    const result = await demo;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain('SIGINT: the demo stops; its sandbox ends, and everything in it with it');
    expect(result.stdout).not.toContain('Summary');
    expect(await otherNetns()).toEqual(before);
    expect(demoProcesses()).toEqual([]);
    expect(existsSync('/run/cni-zones-demo')).toBe(false);
  });
});
