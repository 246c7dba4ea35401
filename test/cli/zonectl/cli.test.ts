import { describe, expect, it } from 'vitest';
import { COMMANDS, findCommand, run, topLevelHelp } from '../../../cli/zonectl/cli.js';
import type { Command } from '../../../cli/zonectl/command.js';
import { CommandError } from '../../../cli/zonectl/errors.js';
import { VERSION } from '../../../cli/zonectl/version.js';
import { captureIo } from './helpers.js';

const calls: string[][] = [];
const fakes: Command[] = [
  {
    spec: { name: 'hello', summary: 'Say hello.', positionals: [{ name: 'WHO', description: 'who' }], options: [] },
    async run(args, io) {
      calls.push(args.positionals);
      io.out(`hello ${args.positionals[0]}\n`);
      return 0;
    },
  },
  {
    spec: { name: 'grp one', summary: 'First of a group.', positionals: [], options: [] },
    async run() {
      throw new CommandError('it failed', 'try again');
    },
  },
  { hidden: true, spec: { name: '__inner', summary: 'internal', positionals: [], options: [] }, run: async () => 3 },
];

describe('run', () => {
  it('runs the command named by the first words', async () => {
    const io = captureIo();
    expect(await run(['hello', 'world'], io, fakes)).toBe(0);
    expect(io.stdout).toBe('hello world\n');
    expect(findCommand(['grp', 'one', 'x'], fakes)?.rest).toEqual(['x']);
  });

  it('prints help: top level, per command, and per group', async () => {
    const top = captureIo();
    expect(await run(['--help'], top, fakes)).toBe(0);
    expect(top.stdout).toContain('hello    Say hello.');
    expect(top.stdout).not.toContain('__inner');
    const command = captureIo();
    expect(await run(['hello', '--help'], command, fakes)).toBe(0);
    expect(command.stdout).toContain('Usage: zonectl hello WHO');
    const viaHelp = captureIo();
    expect(await run(['help', 'hello'], viaHelp, fakes)).toBe(0);
    expect(viaHelp.stdout).toBe(command.stdout);
    const group = captureIo();
    expect(await run(['grp', '--help'], group, fakes)).toBe(0);
    expect(group.stdout).toContain('grp one');
  });

  it('is a usage error (2) without a command, with an unknown one, or with a bare group', async () => {
    const none = captureIo();
    expect(await run([], none, fakes)).toBe(2);
    expect(none.stderr).toBe(topLevelHelp(fakes));
    const unknown = captureIo();
    expect(await run(['frob'], unknown, fakes)).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frob"');
    const group = captureIo();
    expect(await run(['grp'], group, fakes)).toBe(2);
    expect(group.stderr).toContain('zonectl grp SUBCOMMAND');
    const args = captureIo();
    expect(await run(['hello'], args, fakes)).toBe(2);
    expect(args.stderr).toBe('zonectl: missing WHO\n  see "zonectl hello --help"\n');
  });

  it('reports a failure with its fix and exit code 1', async () => {
    const io = captureIo();
    expect(await run(['grp', 'one'], io, fakes)).toBe(1);
    expect(io.stderr).toBe('zonectl: it failed\n  fix: try again\n');
  });

  it('prints its version', async () => {
    const io = captureIo();
    expect(await run(['--version'], io, fakes)).toBe(0);
    expect(io.stdout).toBe(`zonectl ${VERSION} (cni-zones)\n`);
  });
});

describe('the command table', () => {
  it('has the commands of the issue', () => {
    expect(COMMANDS.filter((c) => !c.hidden).map((c) => c.spec.name)).toEqual([
      'up',
      'down',
      'nspawn enable',
      'nspawn disable',
      'status',
      'ports',
      'gc',
      'repair',
      'remove-zone',
      'install',
      'completion',
      'kube-node-setup',
      'demo',
    ]);
  });

  it.each(COMMANDS.filter((c) => !c.hidden).map((c) => c.spec.name))('%s --help works', async (name) => {
    const io = captureIo();
    expect(await run([...name.split(' '), '--help'], io)).toBe(0);
    expect(io.stdout).toContain(`Usage: zonectl ${name}`);
    expect(io.stdout).toContain('-h, --help');
  });
});
