// The drop-in of `zonectl nspawn enable`, verified by systemd and then run the way
// systemd-nspawn@.service would run it (no systemd as PID 1 here): ExecStartPre, ExecStart and
// ExecStopPost from the file, split by systemd's rules with %i expanded, each executed for real
// in the test's host namespace. The machine image is found as the unit finds it, in
// /var/lib/machines/<machine> (a private mount namespace puts the test's directory there).
// One deviation, because there is no machined to register with: ExecStart gets --register=no.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, expect } from 'vitest';
import { parseExecLine } from '../../lib/nspawn/exec-line.js';
import { parseUnitFile, valuesOf } from '../../lib/networkd/unit-file.js';
import { ipIn, netnsExists, nsenterArgs } from '../support/netns.js';
import { removeNspawnLeftovers } from '../support/nspawn-machine.js';
import { copyNspawnRoot, nspawnRoot } from '../support/nspawn-root.js';
import { stopGroup } from '../support/process-group.js';
import { cleanupOnExit } from '../support/exit-cleanup.js';
import { privileged } from '../support/privileges.js';
import {
  addresses,
  allocations,
  cacheRecords,
  createZonectlWorld,
  hostPart,
  httpGet,
  netnsPathOf,
  useZonectlBundles,
} from '../support/zonectl-world.js';
import { poll } from '../support/poll.js';

const suite = privileged(['ip', 'nsenter', 'unshare', 'mount', 'nft', 'systemd-nspawn', 'systemd-analyze', 'busybox']);
useZonectlBundles();
const PAGE = 'hello from a cni-zones test machine';

// A booted machine's PID 1: httpd, and a clean exit on nspawn's halt signal (SIGRTMIN+3, 37 with
// glibc), which busybox init would ignore.
const INIT = `#!/bin/sh
httpd -f -p 80 -h /www &
trap 'kill $!; exit 0' 37 TERM INT
wait
`;

beforeAll(async () => {
  if (suite.canRun) await nspawnRoot();
}, 120_000);

interface Lines {
  startPre: string;
  start: string;
  stopPost: string;
}

function unitLines(text: string): Lines {
  const unit = parseUnitFile(text);
  const starts = valuesOf(unit, 'Service', 'ExecStart');
  expect(starts[0]).toBe(''); // the template's ExecStart= is reset first
  const [startPre] = valuesOf(unit, 'Service', 'ExecStartPre');
  const [stopPost] = valuesOf(unit, 'Service', 'ExecStopPost');
  return { startPre: startPre as string, start: starts.at(-1) as string, stopPost: stopPost as string };
}

suite.it('generates a drop-in that systemd-analyze verifies, and whose hooks and ExecStart run a reachable machine', async () => {
  const world = await createZonectlWorld();
  await ipIn(world.host, 'link', 'set', 'lo', 'up');
  const machine = world.machineName('unit');
  const unitDir = join(world.dir, 'units');

  const enable = await world.zonectl(
    ['nspawn', 'enable', machine, '--network', world.network, '--port', '8090:80', '--unit-dir', unitDir],
    { runtime: true },
  );
  expect(enable.exitCode, enable.stderr).toBe(0);
  const dropin = join(unitDir, `systemd-nspawn@${machine}.service.d`, '50-cni-zones.conf');
  expect(enable.stdout).toContain(`wrote ${dropin}`);

  // systemd itself reads the template with our drop-in: no error, no warning.
  const verify = await execa('systemd-analyze', ['verify', `systemd-nspawn@${machine}.service`], {
    env: { SYSTEMD_UNIT_PATH: `${unitDir}:` },
    reject: false,
  });
  expect(verify.stderr).toBe('');
  expect(verify.exitCode).toBe(0);

  const lines = unitLines(await readFile(dropin, 'utf8'));
  expect(lines.start).toContain('--network-namespace-path=/run/netns/%i');
  expect(lines.start).not.toContain('--network-veth');
  expect(lines.start.split(' ')).not.toContain('-U');
  const specifiers = { i: machine };
  const startPre = parseExecLine(lines.startPre, specifiers).argv;
  const start = parseExecLine(lines.start, specifiers).argv;
  const stopPost = parseExecLine(lines.stopPost, specifiers).argv;
  expect(startPre).toEqual(
    expect.arrayContaining(['up', machine, '--port', 'tcp:8090:80', '--conf-dir', world.confDir, '--cache-dir', world.cacheDir]),
  );
  expect(stopPost).toEqual(expect.arrayContaining(['down', machine]));

  // ExecStartPre: the namespace and the attachment.
  const pre = await execa('nsenter', [...nsenterArgs(world.host), ...startPre], { reject: false });
  expect(pre.exitCode, pre.stderr).toBe(0);
  expect(await netnsExists(machine)).toBe(true);
  const [v4] = (await addresses(netnsPathOf(machine), 'eth0')).filter((a) => !a.includes(':'));
  expect(v4).toBeDefined();

  // The machine image where the unit looks for it: /var/lib/machines/<machine>.
  const machines = join(world.dir, 'machines');
  await mkdir(machines);
  const root = await copyNspawnRoot(join(machines, machine));
  await rm(join(root, 'bin/init'), { force: true });
  await writeFile(join(root, 'bin/init'), INIT, { mode: 0o755 });

  // ExecStart, as the unit runs it (plus --register=no: no machined without systemd).
  const script = 'mount --bind "$0" /var/lib/machines && exec "$@"';
  const nspawn = execa(
    'nsenter',
    [
      ...nsenterArgs(world.host),
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      script,
      machines,
      ...start,
      '--register=no',
    ],
    {
      reject: false,
      detached: true,
      stdin: 'ignore',
    },
  );
  const cancelExitKill = cleanupOnExit(() => nspawn.kill('SIGKILL'));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopGroup(nspawn, 5_000);
    cancelExitKill();
    await removeNspawnLeftovers(machine);
  };
  world.sandbox.defer(stop);

  const body = await poll('the booted machine to serve HTTP', 20_000, async () => {
    const got = await httpGet(world.host, `http://${hostPart(v4 as string)}/`);
    return got.ok ? got.body : undefined;
  });
  expect(body).toBe(PAGE);
  expect(await httpGet(world.host, 'http://127.0.0.1:8090/')).toEqual({ ok: true, body: PAGE });

  // Stop as systemd would (SIGTERM to nspawn), then ExecStopPost.
  await stop();
  const result = await nspawn;
  expect(result.exitCode, result.stderr).toBe(0);
  const post = await execa('nsenter', [...nsenterArgs(world.host), ...stopPost], { reject: false });
  expect(post.exitCode, post.stderr).toBe(0);
  expect(await netnsExists(machine)).toBe(false);
  expect(cacheRecords(world.cacheDir)).toEqual([]);
  expect(allocations(world.store)).toEqual([]);

  // Once more, with the machine stopped: ExecStopPost after a failed start must succeed too.
  const postAgain = await execa('nsenter', [...nsenterArgs(world.host), ...stopPost], { reject: false });
  expect(postAgain.exitCode, postAgain.stderr).toBe(0);

  const disable = await world.zonectl(['nspawn', 'disable', machine, '--unit-dir', unitDir]);
  expect(disable.exitCode, disable.stderr).toBe(0);
  expect(existsSync(dropin)).toBe(false);
  expect(existsSync(join(unitDir, `systemd-nspawn@${machine}.service.d`))).toBe(false);
});

suite.it('refuses to enable a machine whose network does not exist, and writes nothing', async () => {
  const world = await createZonectlWorld();
  const unitDir = join(world.dir, 'units');
  const run = await world.zonectl(['nspawn', 'enable', 'web', '--network', 'missing', '--unit-dir', unitDir], { runtime: true });
  expect(run.exitCode).toBe(1);
  expect(run.stderr).toContain('"missing"');
  expect(run.stderr).toContain('fix:');
  expect(existsSync(unitDir)).toBe(false);
});
