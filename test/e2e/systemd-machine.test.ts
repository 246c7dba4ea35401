// The systemd-as-PID-1 test machine (test/support/systemd-machine.ts) works for real: it boots
// in a private network namespace, systemd inside is running, files get in by copy and by a
// read-only bind, a socket-activated transient unit (systemd-run --socket-property=ListenStream=
// [::1]:PORT ... systemd-socket-proxyd) starts on the first connection and forwards to a busybox
// httpd inside the machine, stopping the units closes the port, and stop() leaves nothing behind.

import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { netnsExists } from '../support/netns.js';
import { makeTestTempDir } from '../support/paths.js';
import { poll } from '../support/poll.js';
import { isProcessAlive } from '../support/processes.js';
import { bootSystemdMachine, type SystemdMachine, systemdMachineSuite } from '../support/systemd-machine.js';

const suite = systemdMachineSuite();
const PAGE = 'hello through a socket-activated unit\n';
const BOUND = 'bound read-only from the host\n';

// No `wget -T`: Debian 12's static busybox (1.35) wget segfaults with it. exec's timeout bounds it.
async function get(machine: SystemdMachine, url: string) {
  return machine.exec('/bin/busybox', ['wget', '-q', '-O', '-', url], { reject: false, timeoutMs: 10_000 });
}

async function unitState(machine: SystemdMachine, unit: string): Promise<string> {
  const { stdout } = await machine.exec('systemctl', ['is-active', unit], { reject: false });
  return stdout.trim();
}

suite.it(
  'boots systemd as PID 1 and runs a socket-activated transient unit inside',
  async () => {
    const dir = makeTestTempDir('systemd-machine');
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'index.html'), PAGE);
    await writeFile(join(dir, 'bound.txt'), BOUND);

    const machine = await bootSystemdMachine({ bindReadOnly: [{ host: dir, machine: '/srv/host' }] });
    onTestFinished(() => machine.stop());

    const state = await machine.exec('systemctl', ['is-system-running'], { reject: false });
    expect(['running', 'degraded'], machine.console()).toContain(state.stdout.trim());
    expect((await machine.exec('cat', ['/proc/1/comm'])).stdout).toBe('systemd');
    expect((await machine.exec('cat', ['/srv/host/bound.txt'])).stdout).toBe(BOUND.trimEnd());
    const write = await machine.exec('sh', ['-c', 'echo x >/srv/host/new'], { reject: false });
    expect(write.exitCode).not.toBe(0);

    await machine.copyIn(join(dir, 'index.html'), '/srv/www/index.html');
    await machine.exec('systemd-run', ['--unit=czt-smoke-httpd', '/bin/busybox', 'httpd', '-f', '-p', '127.0.0.1:8100', '-h', '/srv/www']);
    await poll(
      'httpd inside the machine',
      10_000,
      async () => ((await get(machine, 'http://127.0.0.1:8100/')).exitCode === 0 ? true : undefined),
      async () => (await machine.exec('systemctl', ['status', '--no-pager', '-l', 'czt-smoke-httpd.service'], { reject: false })).stdout,
    );

    await machine.exec('systemd-run', [
      '--unit=czt-smoke',
      '--socket-property=ListenStream=[::1]:8099',
      '/lib/systemd/systemd-socket-proxyd',
      '127.0.0.1:8100',
    ]);
    expect(await unitState(machine, 'czt-smoke.socket')).toBe('active');
    expect(await unitState(machine, 'czt-smoke.service')).toBe('inactive'); // started by the first connection

    const proxied = await get(machine, 'http://[::1]:8099/');
    expect(proxied.stderr).toBe('');
    expect(proxied.stdout).toBe(PAGE.trimEnd());
    expect(await unitState(machine, 'czt-smoke.service')).toBe('active');

    await machine.exec('systemctl', ['stop', 'czt-smoke.socket', 'czt-smoke.service']);
    const refused = await get(machine, 'http://[::1]:8099/');
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/refused/i);
    expect((await get(machine, 'http://127.0.0.1:8100/')).stdout).toBe(PAGE.trimEnd()); // only the proxy went

    // stop(): the machine, its namespace, cgroups and nspawn's leftovers are gone.
    const { leader, netns } = machine;
    await machine.stop();
    expect(isProcessAlive(leader)).toBe(false);
    expect(await netnsExists(netns.name)).toBe(false);
    expect(existsSync(`/run/systemd/nspawn/propagate/${netns.name}`)).toBe(false);
  },
  120_000,
);
