// A machine root systemd-nspawn accepts, made of one static busybox: applet links in /bin,
// /usr/lib/os-release (nspawn refuses a tree without /usr), lib -> usr/lib (nspawn adds it
// otherwise), passwd and group, a web page in /www, and a udhcpc script for DHCP leases; and,
// once the zone is known, an /etc/resolv.conf naming the zone's name server at its gateway.
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from '../../../lib/system/process.js';

const DIRECTORIES = ['bin', 'dev', 'proc', 'sys', 'run', 'tmp', 'root', 'etc/udhcpc', 'usr/lib', 'var/log', 'www'];

// busybox udhcpc leaves applying a lease to this script (Debian's looks in /etc/udhcpc).
const UDHCPC_SCRIPT = `#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface" ;;
esac
exit 0
`;

export interface MachineRootOptions {
  /** What the machine says over HTTP. */
  page: string;
  hostname: string;
}

export async function buildMachineRoot(root: string, busybox: string, options: MachineRootOptions): Promise<void> {
  await Promise.all(DIRECTORIES.map((dir) => mkdir(join(root, dir), { recursive: true })));
  await copyFile(busybox, join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  const applets = (await runChecked(busybox, ['--list'], { processGroup: true }))
    .split('\n')
    .filter((a) => a && a !== 'busybox' && !a.includes('/'));
  await Promise.all(applets.map((applet) => symlink('busybox', join(root, 'bin', applet))));
  await symlink('bin', join(root, 'sbin'));
  await symlink('usr/lib', join(root, 'lib'));
  await writeFile(join(root, 'usr/lib/os-release'), 'ID=cni-zones-demo\nNAME="cni-zones demo machine"\n');
  await symlink('../usr/lib/os-release', join(root, 'etc/os-release'));
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
  await writeFile(join(root, 'etc/hostname'), `${options.hostname}\n`);
  await writeFile(join(root, 'www/index.html'), `${options.page}\n`);
  await writeFile(join(root, 'etc/udhcpc/default.script'), UDHCPC_SCRIPT, { mode: 0o755 });
}

/**
 * The machine's resolver: the zone's name server at the gateway, and the zone's domain to search
 * (busybox wget resolves through libc, which reads /etc/resolv.conf of the machine's root).
 */
export async function writeResolvConf(root: string, nameserver: string, search: string): Promise<void> {
  await writeFile(join(root, 'etc/resolv.conf'), `nameserver ${nameserver}\nsearch ${search}\n`);
}
