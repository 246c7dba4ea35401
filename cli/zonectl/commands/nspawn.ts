// zonectl nspawn enable|disable MACHINE: the systemd-nspawn@MACHINE.service drop-in.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_UNIT_DIR, dropinPath, removeDropin, renderDropin, unitName, writeDropin } from '../../../lib/nspawn/dropin.js';
import { type ExecWord, INSTANCE } from '../../../lib/nspawn/exec-line.js';
import { netnsExecStart, readTemplateExecStart } from '../../../lib/nspawn/exec-start.js';
import { validateMachineName } from '../../../lib/nspawn/machine.js';
import { checkDistinctHostPorts, formatPortSpec, parsePortSpec } from '../../../lib/nspawn/port-spec.js';
import type { RuntimePaths } from '../../../lib/nspawn/runtime-paths.js';
import { loadConfList } from '../../../lib/runtime/conf-dir.js';
import type { OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { DEFAULT_NETWORK } from '../example.js';
import { lines } from '../io.js';
import { ifnameOption, networkOption, portOption } from '../machine-options.js';
import { runtimeArgv, runtimeOptions, runtimePathsFrom } from '../runtime-options.js';
import { selfInvocation } from '../self.js';

const unitDirOption: OptionSpec = {
  name: 'unit-dir',
  kind: 'string',
  value: 'DIR',
  description: 'where the systemd-nspawn@MACHINE.service.d/ directory goes',
  defaultText: DEFAULT_UNIT_DIR,
};

export interface HookOptions {
  network: string;
  ports: string[];
  ifname?: string;
  paths: RuntimePaths;
  /** The zonectl command line (see self.ts). */
  zonectl: string[];
}

/** ExecStartPre= and ExecStopPost= of the drop-in, as argv words with %i for the machine. */
export function hookLines(options: HookOptions): { up: ExecWord[]; down: ExecWord[] } {
  const runtime = runtimeArgv(options.paths);
  const up: ExecWord[] = [
    ...options.zonectl,
    'up',
    INSTANCE,
    '--network',
    options.network,
    ...options.ports.flatMap((p) => ['--port', p]),
    ...(options.ifname !== undefined ? ['--ifname', options.ifname] : []),
    ...runtime,
  ];
  const down: ExecWord[] = [...options.zonectl, 'down', INSTANCE, ...runtime];
  return { up, down };
}

function machineImageHint(machine: string): string[] {
  const dirs = ['/etc/machines', '/run/machines', '/var/lib/machines', '/usr/local/lib/machines', '/usr/lib/machines'];
  const found = dirs.some((dir) => existsSync(`${dir}/${machine}`) || existsSync(`${dir}/${machine}.raw`));
  return found ? [] : [`note: no image for ${machine} in /var/lib/machines (or the other machine directories) yet`];
}

export const nspawnEnableCommand: Command = {
  spec: {
    name: 'nspawn enable',
    summary: 'Join systemd-nspawn@MACHINE.service to a CNI network with a drop-in.',
    description:
      'Writes UNIT-DIR/systemd-nspawn@MACHINE.service.d/50-cni-zones.conf:\n' +
      '  ExecStartPre=  zonectl up %i --network NAME ...   (namespace /run/netns/%i, CNI ADD)\n' +
      "  ExecStart=     the template's nspawn command line with --network-namespace-path=/run/netns/%i\n" +
      '                 in place of --network-veth (and without -U: a user-namespaced machine\n' +
      '                 cannot join a namespace owned by the host)\n' +
      '  ExecStopPost=  zonectl down %i                      (CNI DEL, namespace removed)\n' +
      'Options given here (--conf-dir, --cni-path, --cache-dir) are passed on to the hooks.\n' +
      'A MACHINE.nspawn file must not set network options (VirtualEthernet=, Zone=, Port=...).',
    positionals: [{ name: 'MACHINE', description: 'the machine (its image is found by systemd-nspawn --machine=MACHINE)' }],
    options: [
      networkOption,
      portOption,
      ifnameOption,
      unitDirOption,
      {
        name: 'zonectl',
        kind: 'string',
        value: 'PATH',
        description: 'the zonectl the hooks run',
        defaultText: 'this node and this script',
      },
      { name: 'print', kind: 'boolean', description: 'print the drop-in instead of writing it' },
      ...runtimeOptions,
    ],
    examples: ['zonectl nspawn enable web --network cni-zones --port 8080:80', 'systemctl daemon-reload && machinectl start web'],
  },
  async run(args, io) {
    const [machine = ''] = args.positionals;
    validateMachineName(machine);
    const network = args.string('network') ?? DEFAULT_NETWORK;
    const ports = args.list('port').map(parsePortSpec);
    checkDistinctHostPorts(ports);
    const paths = runtimePathsFrom(args);
    // A unit that cannot find its network fails at every start: refuse now, while it is easy to fix.
    await loadConfList(paths.confDir, network);
    const ifname = args.string('ifname');
    const hooks = hookLines({
      network,
      ports: ports.map(formatPortSpec),
      ...(ifname !== undefined && { ifname }),
      paths,
      zonectl: selfInvocation(args.string('zonectl')),
    });
    const template = await readTemplateExecStart();
    const content = renderDropin({ machine, network, ...hooks, execStart: netnsExecStart(template.line) });
    if (args.flag('print')) {
      io.out(content);
      return 0;
    }
    const unitDir = resolve(args.string('unit-dir') ?? DEFAULT_UNIT_DIR);
    const outcome = await writeDropin(unitDir, machine, content);
    io.out(
      lines(
        outcome.changed ? `wrote ${outcome.path}` : `${outcome.path} is up to date`,
        `${unitName(machine)} now joins network ${network} through /run/netns/${machine}`,
        ...machineImageHint(machine),
        `next: systemctl daemon-reload && machinectl start ${machine}`,
      ),
    );
    return 0;
  },
};

export const nspawnDisableCommand: Command = {
  spec: {
    name: 'nspawn disable',
    summary: 'Remove the drop-in of "zonectl nspawn enable": the machine gets nspawn\'s own networking back.',
    description: 'Takes effect at the next start of the machine, after systemctl daemon-reload.',
    positionals: [{ name: 'MACHINE', description: 'the machine' }],
    options: [unitDirOption],
  },
  async run(args, io) {
    const [machine = ''] = args.positionals;
    const unitDir = resolve(args.string('unit-dir') ?? DEFAULT_UNIT_DIR);
    const outcome = await removeDropin(unitDir, machine);
    if (!outcome.changed) {
      io.out(lines(`${dropinPath(unitDir, machine)} does not exist: nothing to do`));
      return 0;
    }
    io.out(lines(`removed ${outcome.path}`, `next: systemctl daemon-reload (a running ${machine} keeps its network until it stops)`));
    return 0;
  },
};
