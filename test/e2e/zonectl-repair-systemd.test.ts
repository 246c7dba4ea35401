// The repair unit under a real systemd: inside a booted machine (test/support/systemd-machine.ts)
// `zonectl install` writes, enables and starts cni-zones-repair.service; an attachment publishes
// a port on a host address (nft) and on [::1] (a socket unit); `systemctl restart
// nftables.service` (whose /etc/nftables.conf begins with `flush ruleset`) takes our table away,
// and systemd restarts the repair unit with it (PartOf=), which puts the port back. A stopped
// [::1] socket comes back with the next repair too.

import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { repoRoot } from '../support/paths.js';
import { poll } from '../support/poll.js';
import { bootSystemdMachine, type SystemdMachine, systemdMachineSuite } from '../support/systemd-machine.js';

const suite = systemdMachineSuite();
const DIST = '/srv/cni-zones-dist';
const CONTAINER = '10.77.0.2';
const HOST_ADDRESS = '192.0.2.10';

async function get(machine: SystemdMachine, url: string) {
  return machine.exec('/bin/busybox', ['wget', '-q', '-O', '-', url], { reject: false, timeoutMs: 10_000 });
}

async function answers(machine: SystemdMachine): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const url of [`http://${HOST_ADDRESS}:8080/`, 'http://[::1]:8080/']) {
    const got = await get(machine, url);
    out[url] = got.exitCode === 0 ? got.stdout : 'refused';
  }
  return out;
}

// The administrator's ruleset. Debian's default declares base chains, which nft run by a service
// of this nspawn machine may not create (EPERM, the machine's sandbox); a set is enough here.
const ADMIN_RULESET = 'flush ruleset\ntable inet admin {\n\tset blocked {\n\t\ttype ipv4_addr\n\t}\n}\n';

const BOTH = { [`http://${HOST_ADDRESS}:8080/`]: 'the container', 'http://[::1]:8080/': 'the container' };

/** A container at CONTAINER (a veth end in the machine) serving a page, and the network `web` in the conf dir. */
async function prepare(machine: SystemdMachine): Promise<void> {
  const sh = (script: string) => machine.exec('sh', ['-ec', script]);
  await sh(`ip link add ct0 type veth peer name ct1; ip link set ct0 up; ip link set ct1 up
    ip addr add ${CONTAINER}/24 dev ct0; ip addr add ${HOST_ADDRESS}/24 dev ct1
    mkdir -p /srv/www /etc/cni/net.d; echo "the container" >/srv/www/index.html`);
  await machine.exec('systemd-run', ['--unit=ct-httpd', '/bin/busybox', 'httpd', '-f', '-p', `${CONTAINER}:80`, '-h', '/srv/www']);
  const list = { cniVersion: '1.0.0', name: 'web', plugins: [{ type: 'zone-ports', capabilities: { portMappings: true } }] };
  await machine.exec('sh', ['-c', 'cat >/etc/cni/net.d/web.conflist'], { input: JSON.stringify(list) });
  await poll('httpd in the container', 10_000, async () =>
    (await get(machine, `http://${CONTAINER}/`)).exitCode === 0 ? true : undefined,
  );
}

function portsAdd(machine: SystemdMachine) {
  // A host address and ::1, not 127.0.0.1: nspawn mounts /proc/sys read-only, so route_localnet stays off here.
  const mappings = [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: HOST_ADDRESS },
    { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '::1' },
  ];
  const conf = {
    cniVersion: '1.0.0',
    name: 'web',
    type: 'zone-ports',
    runtimeConfig: { portMappings: mappings },
    prevResult: { cniVersion: '1.0.0', ips: [{ address: `${CONTAINER}/24` }] },
  };
  return machine.exec('/opt/cni/bin/zone-ports', [], {
    input: JSON.stringify(conf),
    reject: false,
    env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'sd-web', CNI_NETNS: '/run/netns/sd-web', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' },
  });
}

suite.it(
  'zonectl install enables the repair unit; a restart of nftables.service restarts it and the published port comes back',
  async () => {
    const machine = await bootSystemdMachine({ bindReadOnly: [{ host: join(repoRoot, 'dist/native'), machine: DIST }] });
    onTestFinished(() => machine.stop());
    await prepare(machine);

    const install = await machine.exec(join(DIST, 'zonectl'), ['install'], { reject: false, timeoutMs: 120_000 });
    expect(install.exitCode, install.stdout + install.stderr).toBe(0);
    expect((await machine.exec('systemctl', ['is-enabled', 'cni-zones-repair.service'], { reject: false })).stdout.trim()).toBe('enabled');
    expect((await machine.exec('systemctl', ['is-active', 'cni-zones-repair.service'], { reject: false })).stdout.trim()).toBe('active');

    const add = await portsAdd(machine);
    expect(add.exitCode, add.stdout + add.stderr).toBe(0);
    expect(await answers(machine)).toEqual(BOTH);

    // What nftables.service loads flushes the ruleset first, as Debian's /etc/nftables.conf does.
    await machine.exec('sh', ['-c', 'cat >/etc/nftables.conf'], { input: ADMIN_RULESET });
    const flush = await machine.exec('nft', ['-f', '/etc/nftables.conf']);
    expect(flush.exitCode).toBe(0);
    expect((await answers(machine))[`http://${HOST_ADDRESS}:8080/`]).toBe('refused');
    const before = (await machine.exec('journalctl', ['-u', 'cni-zones-repair.service', '-o', 'cat', '--no-pager'])).stdout;
    const restart = await machine.exec('systemctl', ['restart', 'nftables.service'], { reject: false });
    expect(restart.exitCode, (await machine.exec('journalctl', ['-u', 'nftables', '--no-pager'], { reject: false })).stdout).toBe(0);
    await poll('the repair unit ran again', 15_000, async () => {
      const journal = (await machine.exec('journalctl', ['-u', 'cni-zones-repair.service', '-o', 'cat', '--no-pager'])).stdout;
      return journal.length > before.length && /restored/.test(journal.slice(before.length)) ? true : undefined;
    });
    expect((await machine.exec('nft', ['list', 'tables'])).stdout).toContain('table inet cni_zones');
    expect(await answers(machine)).toEqual(BOTH);

    // The [::1] units stopped by hand (the running service holds the listener too): the next repair starts them again.
    const units = (await machine.exec('systemctl', ['list-units', '--plain', '--no-legend', 'cni-zones-proxy-*.socket'])).stdout;
    const socket = units.trim().split(/\s+/)[0] as string;
    await machine.exec('systemctl', ['stop', socket, socket.replace(/\.socket$/, '.service')]);
    expect((await answers(machine))['http://[::1]:8080/']).toBe('refused');
    await machine.exec('systemctl', ['restart', 'cni-zones-repair.service']);
    expect(await answers(machine)).toEqual(BOTH);
  },
  600_000,
);
