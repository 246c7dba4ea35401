// zonectl up MACHINE: the machine's network namespace, attached to a CNI network.
import type { IPConfig, Result } from '../../../lib/cni/types.js';
import { formatPortSpec, parsePortSpec } from '../../../lib/nspawn/port-spec.js';
import type { PortMapping } from '../../../lib/ports/mappings.js';
import { machineUp, type UpOutcome } from '../../../lib/nspawn/up.js';
import type { Command } from '../command.js';
import { DEFAULT_NETWORK } from '../example.js';
import { lines } from '../io.js';
import { ifnameOption, networkOption, portOption } from '../machine-options.js';
import { runtimeOptions, runtimePathsFrom } from '../runtime-options.js';
import { twoColumns } from '../args.js';

function sandboxInterface(result: Result, netns: string, ifname: string): number {
  return result.interfaces?.findIndex((i) => i.sandbox === netns && i.name === ifname) ?? -1;
}

function addressRows(ips: readonly IPConfig[]): [string, string][] {
  return ips.map((ip) => ['address', ip.gateway ? `${ip.address}  (gateway ${ip.gateway})` : ip.address]);
}

export function describeUp(outcome: UpOutcome, ports: readonly PortMapping[]): string {
  const { result, netns, ifname } = outcome;
  const index = sandboxInterface(result, netns, ifname);
  const ips = (result.ips ?? []).filter((ip) => index < 0 || ip.interface === undefined || ip.interface === index);
  const mac = index >= 0 ? result.interfaces?.[index]?.mac : undefined;
  const rows: [string, string][] = [
    ...addressRows(ips),
    ...(mac ? [['mac', mac] as [string, string]] : []),
    ...ports.map((p): [string, string] => ['port', `${p.protocol} ${p.hostPort} → ${p.containerPort}`]),
  ];
  const notes = [...(outcome.removedStale ? ['(a stale attachment of an earlier run was deleted first)'] : [])];
  return lines(`${outcome.machine} is up on network ${outcome.list.name}: ${ifname} in ${netns}`, ...twoColumns(rows), ...notes);
}

export const upCommand: Command = {
  spec: {
    name: 'up',
    summary: 'Create the network namespace /run/netns/MACHINE and attach it to a CNI network.',
    description:
      "Runs the network's ADD chain as a CNI runtime does and caches the result where libcni\n" +
      'keeps it, so "zonectl down", cnitool and podman can read it. A machine started with\n' +
      '--network-namespace-path=/run/netns/MACHINE then has the addresses printed here.\n' +
      'A cached attachment whose namespace is gone (after a reboot) is deleted first.\n' +
      "The machine's name is passed as CNI_ARGS K8S_POD_NAME, as runtimes pass a container's:\n" +
      "with the zone's name server on, MACHINE.<zone>.internal resolves at the zone's gateway.",
    positionals: [{ name: 'MACHINE', description: "machine name: the namespace, the CNI container ID and nspawn's --machine" }],
    options: [
      networkOption,
      portOption,
      ifnameOption,
      { name: 'json', kind: 'boolean', description: 'print the CNI result as JSON' },
      ...runtimeOptions,
    ],
    examples: [
      'zonectl up web --network cni-zones --port 8080:80',
      'systemd-nspawn -D /var/lib/machines/web --network-namespace-path=/run/netns/web ...',
    ],
  },
  async run(args, io) {
    const [machine = ''] = args.positionals;
    const portMappings = args.list('port').map(parsePortSpec);
    const network = args.string('network') ?? DEFAULT_NETWORK;
    const ifname = args.string('ifname');
    const outcome = await machineUp({ ...runtimePathsFrom(args), machine, network, portMappings, ...(ifname !== undefined && { ifname }) });
    if (args.flag('json')) {
      const json = {
        machine,
        network: outcome.list.name,
        netns: outcome.netns,
        ifname: outcome.ifname,
        ports: portMappings.map(formatPortSpec),
        result: outcome.result,
      };
      io.out(`${JSON.stringify(json, null, 2)}\n`);
    } else io.out(describeUp(outcome, portMappings));
    return 0;
  },
};
