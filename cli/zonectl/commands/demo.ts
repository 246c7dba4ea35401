// zonectl demo: the whole story in a private sandbox, safe on any machine.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { downloadStaticBusybox, installedStaticBusybox } from '../demo/busybox.js';
import { DEMO_PORT, DEMO_ZONE, runDemo } from '../demo/run.js';
import { runSandboxed, SANDBOX_COMMAND } from '../demo/sandbox.js';
import { CommandError } from '../errors.js';
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
      'Needs root. Exit code 0 when all went well.',
    positionals: [],
    options: [namespacesOption, netlinkOption],
  },
  async run(args, io) {
    if (process.getuid?.() !== 0)
      throw new CommandError(
        'the demo needs root (it makes namespaces and mounts)',
        'run it as root: sudo make demo (or sudo zonectl demo)',
      );
    io.out(lines(`cni-zones demo: zone "${DEMO_ZONE}", two machines and a published port, in a private sandbox`, ''));
    let busybox = installedStaticBusybox();
    let download: string | undefined;
    if (!busybox) {
      download = await mkdtemp(join(tmpdir(), 'cni-zones-demo-'));
      io.out(lines("no static busybox installed: fetching Debian's busybox-static for the machines"));
      busybox = await downloadStaticBusybox(download);
    }
    try {
      const flags = [...(args.flag('namespaces') ? ['--namespaces'] : []), ...(args.flag('netlink') ? ['--netlink'] : [])];
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
    options: [{ name: 'busybox', kind: 'string', value: 'PATH', description: 'static busybox' }, namespacesOption, netlinkOption],
  },
  async run(args, io) {
    if (process.pid !== 1) throw new CommandError(`${SANDBOX_COMMAND} runs only as PID 1 of the demo sandbox`, 'run "zonectl demo"');
    // As PID 1 only handled signals arrive; leaving takes the whole sandbox with us.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));
    const busybox = args.string('busybox');
    if (!busybox) throw new CommandError('no busybox given', 'run "zonectl demo"');
    return runDemo(io, { busybox, namespacesOnly: args.flag('namespaces'), netlinkOnly: args.flag('netlink') });
  },
};
