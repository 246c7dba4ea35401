// zonectl ports: what is published where.
import { formatHostPort } from '../../../lib/ip/index.js';
import type { Command } from '../command.js';
import { runtimeOptions, runtimePathsFrom } from '../runtime-options.js';
import { collectPorts, type PublishedPort } from '../status/ports.js';
import { renderTable } from '../table.js';

function hostSide(p: PublishedPort): string {
  if (!p.hostIP) return `*:${p.hostPort} (every address, 127.0.0.1 too)`;
  return formatHostPort(p.hostIP, p.hostPort);
}

function containerSide(p: PublishedPort): string {
  const targets = p.containerAddresses.map((a) => formatHostPort(a, p.containerPort));
  return targets.join('\n') || `?:${p.containerPort}`;
}

export function renderPorts(ports: readonly PublishedPort[]): string {
  if (ports.length === 0) return 'No published ports.\n';
  const rows = ports.map((p) => [p.protocol, hostSide(p), containerSide(p), p.containerId, p.network]);
  return renderTable(['PROTO', 'HOST', 'CONTAINER', 'MACHINE', 'NETWORK'], rows);
}

export const portsCommand: Command = {
  spec: {
    name: 'ports',
    summary: 'List published ports: host port, where it leads, and whose it is.',
    description:
      'Read from the result cache: the ports each attachment was added with (zonectl up --port,\npodman -p, cnitool CAP_ARGS). "zonectl status" shows whether each attachment still passes CHECK.',
    positionals: [],
    options: [
      { name: 'network', short: 'n', kind: 'string', value: 'NAME', description: 'only this network' },
      { name: 'json', kind: 'boolean', description: 'print the list as JSON' },
      ...runtimeOptions,
    ],
  },
  async run(args, io) {
    const ports = await collectPorts(runtimePathsFrom(args).cacheDir, args.string('network'));
    io.out(args.flag('json') ? `${JSON.stringify(ports, null, 2)}\n` : renderPorts(ports));
    return 0;
  },
};
