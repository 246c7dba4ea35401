// The zonectl command table and dispatcher: find the command named by the first words, parse
// its arguments, run it, and turn any failure into lines on stderr and an exit code.
import { formatHelp, parseArgs, twoColumns } from './args.js';
import type { Command } from './command.js';
import { completionCommand } from './commands/completion.js';
import { demoCommand, demoSandboxCommand } from './commands/demo.js';
import { downCommand } from './commands/down.js';
import { gcCommand } from './commands/gc.js';
import { installCommand } from './commands/install.js';
import { nspawnDisableCommand, nspawnEnableCommand } from './commands/nspawn.js';
import { portsCommand } from './commands/ports.js';
import { removeZoneCommand } from './commands/remove-zone.js';
import { repairCommand } from './commands/repair.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { describeFailure, EXIT_USAGE } from './errors.js';
import { type Io, lines } from './io.js';
import { kubeNodeSetupCommand } from './kube/command.js';
import { VERSION } from './version.js';

export const COMMANDS: readonly Command[] = [
  upCommand,
  downCommand,
  nspawnEnableCommand,
  nspawnDisableCommand,
  statusCommand,
  portsCommand,
  gcCommand,
  repairCommand,
  removeZoneCommand,
  installCommand,
  completionCommand(() => COMMANDS),
  kubeNodeSetupCommand,
  demoCommand,
  demoSandboxCommand,
];

export function topLevelHelp(commands: readonly Command[] = COMMANDS): string {
  const visible = commands.filter((c) => !c.hidden);
  return lines(
    'Usage: zonectl COMMAND [ARGS] [OPTIONS]',
    '',
    'cni-zones puts containers and systemd-nspawn machines into the same systemd-networkd',
    'zones (bridges vz-<zone>). zonectl attaches nspawn machines, shows zones and ports,',
    'repairs what a flushed ruleset took, installs the plugins, and runs a demo in a private sandbox.',
    '',
    'Commands:',
    ...twoColumns(visible.map((c) => [c.spec.name, c.spec.summary])),
    '',
    'Run "zonectl COMMAND --help" for a command\'s arguments and options.',
    'Options: -h, --help    this help;  --version    print the version',
  );
}

/** The command named by the first one or two words, and the arguments after them. */
export function findCommand(
  argv: readonly string[],
  commands: readonly Command[] = COMMANDS,
): { command: Command; rest: string[] } | undefined {
  const [first, second] = argv;
  const two = commands.find((c) => c.spec.name === `${first} ${second}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = commands.find((c) => c.spec.name === first);
  return one ? { command: one, rest: argv.slice(1) } : undefined;
}

function groupHelp(group: string, commands: readonly Command[]): string | undefined {
  const members = commands.filter((c) => c.spec.name.startsWith(`${group} `) && !c.hidden);
  if (!members.length) return undefined;
  return lines(
    `Usage: zonectl ${group} SUBCOMMAND ...`,
    '',
    ...twoColumns(members.map((c) => [c.spec.name, c.spec.summary])),
    '',
    `Run "zonectl ${group} SUBCOMMAND --help" for details.`,
  );
}

export async function run(argv: readonly string[], io: Io, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    io.err(topLevelHelp(commands));
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const target = argv[1] !== undefined ? findCommand(argv.slice(1), commands) : undefined;
    io.out(target ? formatHelp(target.command.spec) : topLevelHelp(commands));
    return 0;
  }
  if (first === '--version' || first === 'version') {
    io.out(lines(`zonectl ${VERSION} (cni-zones)`));
    return 0;
  }
  const found = findCommand(argv, commands);
  if (!found) {
    const group = groupHelp(first, commands);
    if (group) {
      const asked = argv[1] === '--help' || argv[1] === '-h';
      (asked ? io.out : io.err)(group);
      return asked ? 0 : EXIT_USAGE;
    }
    io.err(lines(`zonectl: unknown command "${first}"`, '  see "zonectl --help" for the commands'));
    return EXIT_USAGE;
  }
  try {
    const args = parseArgs(found.command.spec, found.rest);
    if (args.help) {
      io.out(formatHelp(found.command.spec));
      return 0;
    }
    return await found.command.run(args, io);
  } catch (e) {
    const failure = describeFailure(e);
    io.err(lines(...failure.lines));
    return failure.exitCode;
  }
}
