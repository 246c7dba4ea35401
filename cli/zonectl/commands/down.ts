// zonectl down MACHINE: detach the machine from its networks and remove its namespace.
import { machineDown } from '../../../lib/nspawn/down.js';
import type { Command } from '../command.js';
import { lines } from '../io.js';
import { ifnameOption } from '../machine-options.js';
import { runtimeOptions, runtimePathsFrom } from '../runtime-options.js';

export const downCommand: Command = {
  spec: {
    name: 'down',
    summary: 'Detach MACHINE from its CNI networks and remove /run/netns/MACHINE.',
    description:
      'Runs DEL for every attachment the result cache holds for MACHINE, with the configuration\n' +
      'and published ports its ADD used, then removes the namespace. A machine that is already\n' +
      'down is not an error. When a DEL fails the namespace is still removed and the cache\n' +
      'record stays, so "zonectl gc" can finish once the cause is fixed.',
    positionals: [{ name: 'MACHINE', description: 'the machine given to "zonectl up"' }],
    options: [
      {
        name: 'network',
        short: 'n',
        kind: 'string',
        value: 'NAME',
        description: 'only this network (and DEL it even when nothing is cached)',
      },
      ifnameOption,
      ...runtimeOptions,
    ],
  },
  async run(args, io) {
    const [machine = ''] = args.positionals;
    const network = args.string('network');
    const ifname = args.string('ifname');
    const outcome = await machineDown({
      ...runtimePathsFrom(args),
      machine,
      ...(network !== undefined && { network }),
      ...(ifname !== undefined && { ifname }),
    });
    const done = outcome.detached.map((d) => `${machine}: detached from network ${d.network} (${d.ifname})`);
    if (outcome.removedNetns) done.push(`${machine}: removed /run/netns/${machine}`);
    if (!done.length && !outcome.failures.length) done.push(`${machine} is already down`);
    io.out(lines(...done));
    for (const failure of outcome.failures) {
      io.err(lines(`zonectl: ${failure.message} (CNI error ${failure.code})`, ...(failure.details ? [`  ${failure.details}`] : [])));
    }
    if (outcome.failures.length) {
      io.err(lines(`  fix: the cache still holds these attachments; fix the cause, then run "zonectl gc"`));
      return 1;
    }
    return 0;
  },
};
