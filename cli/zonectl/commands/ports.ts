// zonectl ports: what is published where, the [::1] listeners beside the nft mappings.
import { formatHostPort } from '../../../lib/ip/index.js';
import type { Command } from '../command.js';
import { lines } from '../io.js';
import { runtimeOptions, runtimePathsFrom } from '../runtime-options.js';
import { REPAIR_FIX } from '../repair/drift.js';
import { readConfDir, usesOurPlugins } from '../status/networks.js';
import { collectPorts, type Loopback6Listener, type PublishedPort } from '../status/ports.js';
import { renderTable } from '../table.js';

function hostSide(p: PublishedPort): string {
  if (!p.hostIP) return `*:${p.hostPort} (every address, 127.0.0.1 too)`;
  return formatHostPort(p.hostIP, p.hostPort);
}

function containerSide(p: PublishedPort): string {
  const targets = p.containerAddresses.map((a) => formatHostPort(a, p.containerPort));
  return targets.join('\n') || `?:${p.containerPort}`;
}

function via(listener: Loopback6Listener): string {
  if (listener.via === 'systemd') return `unit ${listener.unit}.socket`;
  return listener.pid === undefined ? 'process (pid not recorded)' : `process ${listener.pid}`;
}

function listenerTable(ports: readonly PublishedPort[]): string[] {
  const listeners = ports.flatMap((p) => (p.loopback6?.published ? [{ p, l: p.loopback6 }] : []));
  if (listeners.length === 0) return [];
  const rows = listeners.map(({ p, l }) => [
    `[::1]:${l.port}`,
    l.target,
    p.containerId,
    p.network,
    via(l),
    l.running ? 'running' : `NOT RUNNING → run: ${REPAIR_FIX}`,
  ]);
  return [
    '',
    '[::1] listeners (systemd-socket-proxyd to the container; the kernel cannot DNAT ::1):',
    renderTable(['HOST', 'TARGET', 'MACHINE', 'NETWORK', 'VIA', 'STATE'], rows).trimEnd(),
  ];
}

function notOnLoopback6(ports: readonly PublishedPort[]): string[] {
  return ports.flatMap((p) =>
    p.loopback6 !== undefined && !p.loopback6.published
      ? [`not on [::1]: ${p.protocol} ${p.hostPort} (${p.containerId}): ${p.loopback6.reason}`]
      : [],
  );
}

export function renderPorts(ports: readonly PublishedPort[]): string {
  if (ports.length === 0) return 'No published ports.\n';
  const mapped = ports.filter((p) => !p.recordOnly);
  const rows = mapped.map((p) => [p.protocol, hostSide(p), containerSide(p), p.containerId, p.network]);
  const table = mapped.length ? [renderTable(['PROTO', 'HOST', 'CONTAINER', 'MACHINE', 'NETWORK'], rows).trimEnd()] : [];
  const notes = notOnLoopback6(ports);
  return lines(...table, ...listenerTable(ports), ...(notes.length ? ['', ...notes] : []));
}

export const portsCommand: Command = {
  spec: {
    name: 'ports',
    summary: 'List published ports: host port, where it leads, whose it is, and its [::1] listener.',
    description:
      'The mappings are read from the result cache: the ports each attachment was added with\n' +
      '(zonectl up --port, podman -p, cnitool CAP_ARGS). Beside them, the [::1] listeners from the\n' +
      "attachments' port records: a TCP mapping on every address (or on ::1) is also served on\n" +
      '[::1]:HOSTPORT by systemd-socket-proxyd, a process of ours or a systemd socket unit, shown\n' +
      'with whether it runs. UDP is never published on [::1]. "zonectl status" shows whether each\n' +
      'attachment still passes CHECK; "zonectl repair" restarts listeners that are not running.',
    positionals: [],
    options: [
      { name: 'network', short: 'n', kind: 'string', value: 'NAME', description: 'only this network' },
      { name: 'json', kind: 'boolean', description: 'print the list as JSON' },
      ...runtimeOptions,
    ],
  },
  async run(args, io) {
    const paths = runtimePathsFrom(args);
    const { lists } = await readConfDir(paths.confDir);
    const network = args.string('network');
    const { ports, problems } = await collectPorts({
      cacheDir: paths.cacheDir,
      lists: lists.filter(usesOurPlugins),
      ...(network !== undefined && { network }),
    });
    io.out(args.flag('json') ? `${JSON.stringify(ports, null, 2)}\n` : renderPorts(ports));
    if (problems.length) io.err(lines(...problems.map((p) => `zonectl: ${p}`)));
    return 0;
  },
};
