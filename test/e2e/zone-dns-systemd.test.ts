// The zone's name server where systemd is PID 1 in the plugin's namespace: inside a booted
// systemd machine (test/support/systemd-machine.ts) the compiled zone plugin (netlink backend)
// ADDs two containers (network namespaces inside the machine, named by CNI_ARGS K8S_POD_NAME),
// and the zone's server is the transient socket unit `cni-zones-dns-<zone>.socket`, listening on
// the gateways and activating the service on the first query. From the second container,
// busybox nslookup at the gateway (v4 and v6) answers the first one's name. The service process
// SIGKILLed: the socket stays and the next query starts the service again; CHECK passes all
// along. The socket unit stopped by hand while its service runs on: CHECK fails (122) and the
// next member's ADD makes the pair again. DEL of the first member: its name is NXDOMAIN, the units stay; DEL of the last member,
// its service killed once more just before (a failed unit): neither unit is left, none failed,
// nothing listens on the gateways' port 53, and the name server's state directory is empty.
//
// nspawn mounts /proc/sys read-only in a machine that joins a network namespace made outside
// it (--network-namespace-path), and the plugin writes `net.*` sysctls (the containers' IPv6
// autoconfiguration, forwarding), as it may on any host: each plugin call runs in a mount
// namespace of its own where /proc/sys is writable again. The units run in systemd's.

import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { bundleCopies } from '../support/bundles.js';
import { poll } from '../support/poll.js';
import { bootSystemdMachine, type SystemdMachine, systemdMachineSuite } from '../support/systemd-machine.js';

const suite = systemdMachineSuite();
const PLUGINS = '/opt/cni-zones';
const STATE_DIR = '/run/czt-dns';
const UNIT = 'cni-zones-dns-web';
const bundles = bundleCopies('zone-dns-systemd', ['zone']);

const conf = {
  cniVersion: '1.1.0',
  name: 'web',
  type: 'zone',
  backend: 'netlink',
  nameServer: { stateDir: STATE_DIR, forward: false },
  ipam: { type: 'zone-ipam', dataDir: '/run/czt-ipam', ranges: [[{ subnet: '10.89.0.0/24' }], [{ subnet: 'fd89::/64' }]] },
};

// A mount namespace of its own with /proc/sys writable, then the plugin.
const WRITABLE_PROC_SYS = 'mount -o remount,bind,rw /proc/sys && exec "$@"';

interface Member {
  id: string;
  name: string;
}

const web: Member = { id: 'ct-web', name: 'web' };
const client: Member = { id: 'ct-client', name: 'client' };
const third: Member = { id: 'ct-third', name: 'third' };

function zone(machine: SystemdMachine, command: string, member: Member, extra: object = {}) {
  const unshare = ['--mount', '--propagation', 'private', '--', 'sh', '-c', WRITABLE_PROC_SYS, 'sh', join(PLUGINS, 'zone')];
  return machine.exec('unshare', unshare, {
    input: JSON.stringify({ ...conf, ...extra }),
    reject: false,
    timeoutMs: 60_000,
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: member.id,
      CNI_NETNS: `/run/netns/${member.id}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: PLUGINS,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAME=${member.name}`,
    },
  });
}

async function mustRun(machine: SystemdMachine, command: string, member: Member, extra: object = {}): Promise<string> {
  const run = await zone(machine, command, member, extra);
  expect(run.exitCode, `${command} ${member.id}: ${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

/** busybox nslookup in `member`'s namespace: the answer's addresses, or the failure it printed. */
async function lookup(machine: SystemdMachine, member: Member, name: string, server: string, type: 'A' | 'AAAA') {
  const run = await machine.exec('nsenter', [`--net=/run/netns/${member.id}`, '/bin/busybox', 'nslookup', `-type=${type}`, name, server], {
    reject: false,
    timeoutMs: 15_000,
  });
  const lines = run.stdout.split('\n');
  // The server's own address comes first ("Address: 10.89.0.1:53"); the answer's after "Name:".
  const answer = lines.findIndex((line) => line.startsWith('Name:'));
  if (run.exitCode !== 0 || answer < 0) return /NXDOMAIN/.test(run.stdout) ? 'NXDOMAIN' : `failed: ${run.stdout}${run.stderr}`;
  return lines.slice(answer + 1).flatMap((line) => /^Address:\s*(\S+)$/.exec(line)?.[1] ?? []);
}

async function systemctl(machine: SystemdMachine, ...args: string[]): Promise<string> {
  return (await machine.exec('systemctl', args, { reject: false })).stdout.trim();
}

/** SIGKILL the service's process (busybox kill: the machine has no procps); its pid once it is gone. */
async function killService(machine: SystemdMachine): Promise<string> {
  const pid = await systemctl(machine, 'show', '--property=MainPID', '--value', `${UNIT}.service`);
  expect(Number(pid)).toBeGreaterThan(0);
  await machine.exec('/bin/busybox', ['kill', '-KILL', pid]);
  await poll('the killed name server to be gone', 10_000, async () =>
    (await systemctl(machine, 'is-active', `${UNIT}.service`)) === 'active' ? undefined : true,
  );
  return pid;
}

/** UDP and TCP sockets listening on port 53 at the zone's gateways (systemd-resolved's on 127.0.0.53/54 are not). */
async function zoneListeners(machine: SystemdMachine): Promise<string[]> {
  const { stdout } = await machine.exec('ss', ['-H', '-ulnt', 'sport = :53']);
  return stdout.split('\n').filter((line) => /\b10\.89\.0\.1:53\b|\[fd89::1\]:53/.test(line));
}

suite.it(
  'serves the zone from a socket unit that re-activates a killed server and goes with the last member',
  async () => {
    const machine = await bootSystemdMachine({ bindReadOnly: [{ host: await bundles.dir(), machine: PLUGINS }] });
    onTestFinished(async () => {
      await machine.stop();
      bundles.remove();
    });
    for (const member of [web, client]) await machine.exec('ip', ['netns', 'add', member.id]);

    await mustRun(machine, 'ADD', web);
    const added = JSON.parse(await mustRun(machine, 'ADD', client)) as { dns?: object };
    expect(added.dns).toEqual({ nameservers: ['10.89.0.1', 'fd89::1'], search: ['web.internal'] });
    expect(await systemctl(machine, 'is-active', `${UNIT}.socket`)).toBe('active');
    expect(await machine.exec('cat', [join(STATE_DIR, 'web.server.json')]).then((r) => JSON.parse(r.stdout))).toEqual({
      via: 'systemd',
      unit: UNIT,
    });

    expect(await lookup(machine, client, 'web.web.internal', '10.89.0.1', 'A')).toEqual(['10.89.0.2']);
    expect(await lookup(machine, client, 'web.web.internal', 'fd89::1', 'AAAA')).toEqual(['fd89::2']);
    expect(await lookup(machine, client, 'nobody.web.internal', '10.89.0.1', 'A')).toBe('NXDOMAIN');

    // The service process killed: the socket keeps listening and the next query starts it again.
    const first = await killService(machine);
    expect(await systemctl(machine, 'is-active', `${UNIT}.socket`)).toBe('active');
    expect((await zone(machine, 'CHECK', client, { prevResult: added })).exitCode).toBe(0);
    expect(await lookup(machine, client, 'web.web.internal', '10.89.0.1', 'A')).toEqual(['10.89.0.2']);
    const second = await systemctl(machine, 'show', '--property=MainPID', '--value', `${UNIT}.service`);
    expect(Number(second)).toBeGreaterThan(0);
    expect(second).not.toBe(first);

    // The socket unit stopped by hand, its service left running on the sockets it inherited:
    // CHECK fails, and the next member's ADD makes the pair again (a new service).
    await machine.exec('systemctl', ['stop', `${UNIT}.socket`]);
    expect(await systemctl(machine, 'is-active', `${UNIT}.service`)).toBe('active');
    const stopped = await zone(machine, 'CHECK', client, { prevResult: added });
    expect(stopped.exitCode).toBe(1);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ code: 122, msg: 'the name server of zone web is not running' });
    await machine.exec('ip', ['netns', 'add', third.id]);
    const thirdAdded = JSON.parse(await mustRun(machine, 'ADD', third)) as { ips: { address: string }[] };
    const third4 = thirdAdded.ips.map((ip) => ip.address.split('/')[0] as string).filter((address) => !address.includes(':'));
    expect(await systemctl(machine, 'is-active', `${UNIT}.socket`)).toBe('active');
    expect((await zone(machine, 'CHECK', client, { prevResult: added })).exitCode).toBe(0);
    expect(await lookup(machine, client, 'third.web.internal', '10.89.0.1', 'A')).toEqual(third4);
    expect(await systemctl(machine, 'show', '--property=MainPID', '--value', `${UNIT}.service`)).not.toBe(second);
    await mustRun(machine, 'DEL', third);

    // A member leaves: its name goes, the server stays for the other.
    await mustRun(machine, 'DEL', web);
    expect(await lookup(machine, client, 'web.web.internal', '10.89.0.1', 'A')).toBe('NXDOMAIN');
    expect(await systemctl(machine, 'is-active', `${UNIT}.socket`)).toBe('active');

    // The last one leaves, the service killed again before (a failed unit): no unit, no failed
    // one, no listener, nothing in the state directory.
    expect(await zoneListeners(machine)).toHaveLength(4);
    await killService(machine);
    expect(await systemctl(machine, 'is-failed', `${UNIT}.service`)).toBe('failed');
    await mustRun(machine, 'DEL', client);
    expect(await systemctl(machine, 'list-units', '--all', '--plain', '--no-legend', 'cni-zones-dns-*')).toBe('');
    expect(await systemctl(machine, 'list-units', '--failed', '--plain', '--no-legend')).not.toContain('cni-zones');
    expect((await machine.exec('ls', ['-A', STATE_DIR])).stdout).toBe('');
    expect(await zoneListeners(machine)).toEqual([]);
  },
  600_000,
);
