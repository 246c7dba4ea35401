// The `env=two-hosts` environment of the user guides (docs/guides/*.md): two booted Debian 12
// machines (systemd-machine.ts), each in its own network namespace, joined by one veth pair, the
// underlay a multi-host zone runs VXLAN over. What the guides say about it:
//
//   host 1: underlay0 192.0.2.1/24        host 2: underlay0 192.0.2.2/24
//
// The underlay is the machines' own "wire": made from outside before the guide starts, as a
// data-centre link would be there before anyone installs our package. Every host has the .deb in
// /root/guide. stop() takes both machines and the veth pair (it goes with the namespaces) away,
// also when opening failed halfway.

import { basename } from 'node:path';
import type { GuideEnv, GuideEnvOptions } from './guide-env.js';
import { addAddress, createVethPair } from './netns.js';
import { bootSystemdMachine, type SystemdMachine } from './systemd-machine.js';

/** The underlay as the guides name it: one link name, one address per host (host 1 first). */
const UNDERLAY = { link: 'underlay0', prefixLength: 24, addresses: ['192.0.2.1', '192.0.2.2'] } as const;

const GUIDE_DIR = '/root/guide';

const bootTimeoutMs = 60_000;

// The block's output on one stream, stdin closed (as test/support/guides.ts runs env=machine blocks).
const runInGuideDir = `cd ${GUIDE_DIR} || exit 125; exec bash -euo pipefail -c "$1" </dev/null 2>&1`;
const machineEnv = { HOME: '/root', LANG: 'C.UTF-8', TERM: 'dumb', DEBIAN_FRONTEND: 'noninteractive' };

/**
 * Run one guide block in a machine as root: bash -euo pipefail in /root/guide. Never rejects on a
 * failing block; a block past `timeoutMs` is killed and reported as exit 124 (as timeout(1) does).
 */
async function runGuideBlock(machine: SystemdMachine, script: string, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  const result = await machine.exec('bash', ['-c', runInGuideDir, 'bash', script], { reject: false, timeoutMs, env: machineEnv });
  const timedOut = result.exitCode === undefined;
  return { exitCode: result.exitCode ?? 124, output: `${result.stdout}${timedOut ? `\n[killed after ${timeoutMs / 1000} s]` : ''}` };
}

// What makes a test machine like an ordinary host, none of which a real host needs:
// - nspawn mounts /proc/sys read-only in a machine that joins a network namespace made outside it
//   (--network-namespace-path); on a host net.* is writable, and the plugins set some (IPv6
//   autoconfiguration of the containers, route_localnet). Only /proc/sys/net, in the machine's own
//   mount namespace: what it holds belongs to the namespace of whoever writes, never the root one.
// - /etc/protocols (netbase, on every Debian host but a minbase root): without it nft lists
//   protocols as numbers and the CHECK of published ports fails.
const WRITABLE_PROC_SYS_NET = 'mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net';

/** Boot a machine for a guide: the packages in its root, made like a host (above), the .deb in /root/guide. */
async function bootGuideMachine(options: GuideEnvOptions): Promise<SystemdMachine> {
  const machine = await bootSystemdMachine({ packages: options.packages, bootTimeoutMs });
  try {
    await machine.exec('sh', ['-c', WRITABLE_PROC_SYS_NET]);
    const protocols = await machine.exec('test', ['-e', '/etc/protocols'], { reject: false });
    if (protocols.exitCode !== 0) await machine.copyIn('/etc/protocols', '/etc/protocols');
    await machine.copyIn(options.debFile, `${GUIDE_DIR}/${basename(options.debFile)}`);
    return machine;
  } catch (error) {
    await machine.stop().catch(() => undefined);
    throw error;
  }
}

/** Two booted hosts joined by the underlay (see the top of this file); call stop(). */
export async function openTwoHosts(options: GuideEnvOptions): Promise<GuideEnv> {
  const machines: SystemdMachine[] = [];
  const stop = async () => {
    const results = await Promise.allSettled(machines.splice(0).map((machine) => machine.stop()));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
    if (failures.length > 0) throw new Error(`two-hosts guide environment: ${failures.join('\n')}`);
  };
  try {
    // One after the other: both may build the same root on first use, and boots compete for 2 cores anyway.
    for (let i = 0; i < UNDERLAY.addresses.length; i++) machines.push(await bootGuideMachine(options));
    const [one, two] = machines as [SystemdMachine, SystemdMachine];
    await createVethPair(one.netns, two.netns, { nameA: UNDERLAY.link, nameB: UNDERLAY.link });
    for (const [i, machine] of machines.entries()) {
      await addAddress(machine.netns, UNDERLAY.link, `${UNDERLAY.addresses[i]}/${UNDERLAY.prefixLength}`);
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return {
    run(script, host, timeoutMs) {
      const machine = machines[host - 1];
      if (machine === undefined) return Promise.reject(new Error(`no host ${host} in a two-hosts guide (hosts 1 and 2)`));
      return runGuideBlock(machine, script, timeoutMs);
    },
    stop,
  };
}
