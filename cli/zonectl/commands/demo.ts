// zonectl demo: the whole story in a private sandbox, safe on any machine.
import { writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { downloadStaticBusybox, installedStaticBusybox } from '../demo/busybox.js';
import { DEMO_PORT, DEMO_ZONE, runDemo } from '../demo/run.js';
import { runHostsDemo } from '../demo/run-hosts.js';
import { runSandboxed, SANDBOX_COMMAND } from '../demo/sandbox.js';
import { CommandError, UsageError } from '../errors.js';
import { lines } from '../io.js';

const namespacesOption = {
  name: 'namespaces',
  kind: 'boolean',
  description: 'run the machines as plain network namespaces even where systemd-nspawn is installed',
} as const;
const netlinkOption = {
  name: 'netlink',
  kind: 'boolean',
  description: 'use the netlink backend even where systemd-networkd is installed',
} as const;
const hostsOption = {
  name: 'hosts',
  kind: 'string',
  value: 'N',
  description: 'how many hosts: 1, or 2 for a zone across two sandboxed hosts over VXLAN',
  defaultText: '1',
} as const;

/** 1 or 2; anything else is a usage error. */
function hostCount(value: string | undefined): 1 | 2 {
  if (value === undefined || value === '1') return 1;
  if (value === '2') return 2;
  throw new UsageError(`--hosts takes 1 or 2, not ${JSON.stringify(value)}`, 'see "zonectl demo --help"');
}

export const demoCommand: Command = {
  spec: {
    name: 'demo',
    summary: 'Run the demo: a zone with two machines and a published port, in a private sandbox.',
    description:
      'Everything happens inside new network, mount and pid namespaces that vanish at the end:\n' +
      'systemd-networkd (if installed, else the netlink backend), zone "' +
      DEMO_ZONE +
      '", two machines\n' +
      '(systemd-nspawn busybox machines, or plain namespaces without nspawn), one serving HTTP and\n' +
      `published on the sandbox's 127.0.0.1:${DEMO_PORT} and [::1]:${DEMO_PORT}, fetched across the zone and\n` +
      'through both, "zonectl status", and the cleanup. With networkd and nspawn the second machine\n' +
      "joins with nspawn's own --network-zone and a DHCP lease: both kinds share one bridge.\n" +
      'With --hosts 2: two hosts in the sandbox (network namespaces joined by a veth underlay),\n' +
      `zone "${DEMO_ZONE}" on both over VXLAN (netlink backend), demo-web on host 2 and demo-client on\n` +
      "host 1 fetching its page across the hosts by address (each host's name server knows only\n" +
      "its own host's members); then each host is read back: nothing of the zone is left.\n" +
      'Needs root. Exit code 0 when all went well.',
    positionals: [],
    options: [hostsOption, namespacesOption, netlinkOption],
  },
  async run(args, io) {
    const hosts = hostCount(args.string('hosts'));
    if (process.getuid?.() !== 0)
      throw new CommandError(
        'the demo needs root (it makes namespaces and mounts)',
        'run it as root: sudo make demo (or sudo zonectl demo)',
      );
    io.out(
      lines(
        hosts === 2
          ? `cni-zones demo: zone "${DEMO_ZONE}" across two hosts over VXLAN, in a private sandbox`
          : `cni-zones demo: zone "${DEMO_ZONE}", two machines and a published port, in a private sandbox`,
        '',
      ),
    );
    let busybox = installedStaticBusybox();
    let download: string | undefined;
    if (!busybox) {
      download = await mkdtemp(join(tmpdir(), 'cni-zones-demo-'));
      io.out(lines("no static busybox installed: fetching Debian's busybox-static for the machines"));
      busybox = await downloadStaticBusybox(download);
    }
    try {
      const flags = [
        ...(args.flag('namespaces') ? ['--namespaces'] : []),
        ...(args.flag('netlink') ? ['--netlink'] : []),
        ...(hosts === 2 ? ['--hosts', '2'] : []),
      ];
      return await runSandboxed(['--busybox', busybox, ...flags]);
    } finally {
      if (download) await rm(download, { recursive: true, force: true });
    }
  },
};

/** The demo's inside: PID 1 of the sandbox (see demo/sandbox.ts). */
export const demoSandboxCommand: Command = {
  hidden: true,
  spec: {
    name: SANDBOX_COMMAND,
    summary: 'internal: the demo inside its sandbox',
    positionals: [],
    options: [
      { name: 'busybox', kind: 'string', value: 'PATH', description: 'static busybox' },
      hostsOption,
      namespacesOption,
      netlinkOption,
    ],
  },
  async run(args, io) {
    if (process.pid !== 1) throw new CommandError(`${SANDBOX_COMMAND} runs only as PID 1 of the demo sandbox`, 'run "zonectl demo"');
    // As PID 1 only handled signals arrive; leaving takes the whole sandbox with us. Said
    // straight to stderr: a write through io might not be out before the exit.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.on(signal, () => {
        writeSync(2, `\n${signal}: the demo stops; its sandbox ends, and everything in it with it\n`);
        process.exit(130);
      });
    const busybox = args.string('busybox');
    if (!busybox) throw new CommandError('no busybox given', 'run "zonectl demo"');
    const namespacesOnly = args.flag('namespaces');
    if (hostCount(args.string('hosts')) === 2) return runHostsDemo(io, { busybox, namespacesOnly });
    return runDemo(io, { busybox, namespacesOnly, netlinkOnly: args.flag('netlink') });
  },
};
