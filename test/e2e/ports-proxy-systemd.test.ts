// [::1]:hostPort where systemd is PID 1 in the plugin's namespace: the compiled zone-ports runs
// inside a booted systemd machine (test/support/systemd-machine.ts) and asks systemd for a
// transient socket unit holding [::1]:port and a proxy service it starts on the first
// connection. The "container" is an address on a veth in the machine with a busybox httpd.
// ADD makes the units, CHECK passes and then fails once the socket is stopped by hand, DEL
// removes both units and the port is refused.

import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { poll } from '../support/poll.js';
import { repoRoot } from '../support/paths.js';
import { bootSystemdMachine, type SystemdMachine, systemdMachineSuite } from '../support/systemd-machine.js';

const suite = systemdMachineSuite();
const PLUGINS = '/opt/cni-zones';
const CONTAINER = '10.77.0.2';

async function get(machine: SystemdMachine, url: string) {
  return machine.exec('/bin/busybox', ['wget', '-q', '-O', '-', url], { reject: false, timeoutMs: 10_000 });
}

function zonePorts(machine: SystemdMachine, command: string, mappings: object[] | undefined) {
  const conf = {
    cniVersion: '1.0.0',
    name: 'web',
    type: 'zone-ports',
    capabilities: { portMappings: true },
    ...(mappings && { runtimeConfig: { portMappings: mappings } }),
    prevResult: { cniVersion: '1.0.0', ips: [{ address: `${CONTAINER}/24` }] },
  };
  return machine.exec(join(PLUGINS, 'zone-ports'), [], {
    input: JSON.stringify(conf),
    reject: false,
    env: { CNI_COMMAND: command, CNI_CONTAINERID: 'sd-web', CNI_NETNS: '/run/netns/sd-web', CNI_IFNAME: 'eth0', CNI_PATH: PLUGINS },
  });
}

async function proxyUnits(machine: SystemdMachine): Promise<string[]> {
  const { stdout } = await machine.exec('systemctl', ['list-units', '--all', '--plain', '--no-legend', 'cni-zones-proxy-*']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(/\s+/).slice(0, 3).join(' '));
}

suite.it(
  'makes a socket-activated unit pair per [::1] port, which CHECK watches and DEL removes',
  async () => {
    const machine = await bootSystemdMachine({ bindReadOnly: [{ host: join(repoRoot, 'dist/native'), machine: PLUGINS }] });
    onTestFinished(() => machine.stop());
    await machine.exec('ip', ['link', 'add', 'ct0', 'type', 'veth', 'peer', 'name', 'ct1']);
    await machine.exec('ip', ['link', 'set', 'ct1', 'up']);
    await machine.exec('ip', ['addr', 'add', `${CONTAINER}/24`, 'dev', 'ct0']);
    await machine.exec('ip', ['link', 'set', 'ct0', 'up']);
    await machine.exec('sh', ['-c', 'mkdir -p /srv/www && echo "the container" >/srv/www/index.html']);
    await machine.exec('systemd-run', ['--unit=ct-httpd', '/bin/busybox', 'httpd', '-f', '-p', `${CONTAINER}:80`, '-h', '/srv/www']);
    await poll('httpd in the container', 10_000, async () =>
      (await get(machine, `http://${CONTAINER}/`)).exitCode === 0 ? true : undefined,
    );

    // hostIP ::1: only the proxy (nspawn mounts /proc/sys read-only, so 127.0.0.1's route_localnet cannot be set here).
    const mappings = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '::1' }];
    const add = await zonePorts(machine, 'ADD', mappings);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    const units = await proxyUnits(machine);
    // The socket listens; the service waits for the first connection.
    expect(units).toEqual([
      expect.stringMatching(/^cni-zones-proxy-[0-9a-f]{16}-8080\.service loaded inactive$/),
      expect.stringMatching(/^cni-zones-proxy-[0-9a-f]{16}-8080\.socket loaded active$/),
    ]);
    expect((await get(machine, 'http://[::1]:8080/')).stdout).toBe('the container');
    expect((await proxyUnits(machine)).some((unit) => /\.service loaded active$/.test(unit))).toBe(true);
    expect((await zonePorts(machine, 'CHECK', mappings)).exitCode).toBe(0);

    const unit = (units[1] as string).split(' ')[0] as string;
    await machine.exec('systemctl', ['stop', unit]);
    const check = await zonePorts(machine, 'CHECK', mappings);
    expect(check.exitCode).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({ code: 131, msg: expect.stringMatching(/\[::1\]:8080 .* is not running/) });

    const del = await zonePorts(machine, 'DEL', mappings);
    expect(del.exitCode, del.stdout + del.stderr).toBe(0);
    expect(await proxyUnits(machine)).toEqual([]);
    const refused = await get(machine, 'http://[::1]:8080/');
    expect(refused.stderr).toMatch(/refused/i);
  },
  600_000,
);
