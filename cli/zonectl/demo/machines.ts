// The demo's machines: real systemd-nspawn machines on a busybox root when nspawn is installed,
// otherwise busybox run in the machine's network namespace, chrooted to its root. Either way the
// machine's network is /run/netns/<name>, made and attached by `zonectl up`, and its files are
// its root's (its /etc/resolv.conf among them). nspawn runs with --register=no and --keep-unit:
// the sandbox has no systemd or machined to register with; and --resolv-conf=off: the root's
// resolv.conf (the zone's name server) stays as the demo wrote it.
import type { StdioOptions } from 'node:child_process';
import { findExecutable } from '../../../lib/system/programs.js';
import { type ProcessResult, runProcess } from '../../../lib/system/process.js';
import { type Background, startBackground } from '../process.js';

export interface Machine {
  name: string;
  /** Its busybox root (see machine-root.ts). */
  root: string;
  /** /run/netns/<name>, made by `zonectl up`; or, for nspawn only, `zone`. */
  netns?: string;
  /** nspawn's own zone membership (--network-zone): a veth on vz-<zone>, DHCP from networkd. */
  zone?: string;
}

export interface MachineDriver {
  readonly kind: 'systemd-nspawn machines' | 'plain network namespaces';
  /** One of them, for progress lines. */
  readonly noun: string;
  /** A path of the machine's tree as its command sees it. */
  path(machine: Machine, inside: string): string;
  /** A long-running busybox applet, e.g. ['httpd', '-f', ...]; `output` pipes its stdout. */
  start(machine: Machine, applet: readonly string[], output?: boolean): Background;
  run(machine: Machine, applet: readonly string[], timeoutMs: number): Promise<ProcessResult>;
}

function nspawnArgs(machine: Machine, applet: readonly string[]): string[] {
  const [name = 'true', ...args] = applet;
  return [
    '--quiet',
    '--register=no',
    '--keep-unit',
    '--console=pipe',
    '--resolv-conf=off',
    // nspawn's own init as PID 1 passes SIGTERM on to the command and reaps it.
    '--as-pid2',
    `--machine=${machine.name}`,
    `--directory=${machine.root}`,
    ...(machine.netns !== undefined ? [`--network-namespace-path=${machine.netns}`] : []),
    ...(machine.zone !== undefined ? [`--network-zone=${machine.zone}`] : []),
    `/bin/${name}`,
    ...args,
  ];
}

function stdioFor(output: boolean | undefined): { stdio: StdioOptions } {
  return { stdio: output ? ['ignore', 'pipe', 'pipe'] : 'ignore' };
}

function nspawnDriver(nspawn: string): MachineDriver {
  return {
    kind: 'systemd-nspawn machines',
    noun: 'a systemd-nspawn machine',
    path: (_machine, inside) => inside,
    start: (machine, applet, output) => startBackground(nspawn, nspawnArgs(machine, applet), stdioFor(output)),
    run: (machine, applet, timeoutMs) => runProcess(nspawn, nspawnArgs(machine, applet), { timeoutMs, processGroup: true }),
  };
}

function namespaceDriver(nsenter: string, chroot: string): MachineDriver {
  const argv = (machine: Machine, applet: readonly string[]) => {
    if (machine.netns === undefined) throw new Error(`${machine.name}: a plain namespace machine needs a network namespace`);
    return [`--net=${machine.netns}`, '--', chroot, machine.root, '/bin/busybox', ...applet];
  };
  return {
    kind: 'plain network namespaces',
    noun: 'busybox in its network namespace',
    path: (_machine, inside) => inside,
    start: (machine, applet, output) => startBackground(nsenter, argv(machine, applet), stdioFor(output)),
    run: (machine, applet, timeoutMs) => runProcess(nsenter, argv(machine, applet), { timeoutMs, processGroup: true }),
  };
}

/** systemd-nspawn when it is installed, else plain namespaces; undefined when neither works. */
export function machineDriver(preferNamespaces = false): MachineDriver | undefined {
  const nspawn = findExecutable('systemd-nspawn');
  if (nspawn && !preferNamespaces) return nspawnDriver(nspawn);
  const nsenter = findExecutable('nsenter');
  const chroot = findExecutable('chroot');
  return nsenter && chroot ? namespaceDriver(nsenter, chroot) : undefined;
}
