import { describe, expect, it } from 'vitest';
import { type CommandSpec, formatHelp, parseArgs, twoColumns } from '../../../cli/zonectl/args.js';
import { UsageError } from '../../../cli/zonectl/errors.js';

const spec: CommandSpec = {
  name: 'up',
  summary: 'Attach a machine.',
  description: 'More words.',
  positionals: [
    { name: 'MACHINE', description: 'the machine' },
    { name: 'EXTRA', description: 'optional one', optional: true },
  ],
  options: [
    { name: 'network', short: 'n', kind: 'string', value: 'NAME', description: 'the network', defaultText: 'cni-zones' },
    { name: 'port', short: 'p', kind: 'list', value: 'SPEC', description: 'a port\nsecond line' },
    { name: 'json', kind: 'boolean', description: 'JSON' },
  ],
  examples: ['zonectl up web'],
};

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(spec, argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('no usage error');
}

describe('parseArgs', () => {
  it('reads long, short, = and repeated options in any order', () => {
    const args = parseArgs(spec, ['--port', '80', 'web', '-n', 'zones', '--port=8080:80', '--json', '-p', 'udp:53']);
    expect(args.positionals).toEqual(['web']);
    expect(args.string('network')).toBe('zones');
    expect(args.list('port')).toEqual(['80', '8080:80', 'udp:53']);
    expect(args.flag('json')).toBe(true);
    expect(args.help).toBe(false);
  });

  it('leaves absent options absent', () => {
    const args = parseArgs(spec, ['web']);
    expect(args.string('network')).toBeUndefined();
    expect(args.list('port')).toEqual([]);
    expect(args.flag('json')).toBe(false);
  });

  it('takes everything after -- as arguments', () => {
    expect(parseArgs(spec, ['--', '-web', '--json']).positionals).toEqual(['-web', '--json']);
  });

  it('asks for help with -h or --help, whatever else is missing', () => {
    expect(parseArgs(spec, ['-h']).help).toBe(true);
    expect(parseArgs(spec, ['--help', '--json']).help).toBe(true);
  });

  it.each([
    [['web', '--bogus'], 'unknown option --bogus'],
    [['web', '--network'], 'option --network needs a value (NAME)'],
    [['web', '--json=yes'], 'option --json takes no value'],
    [['web', '-n', 'a', '-n', 'b'], 'option --network given twice'],
    [[], 'missing MACHINE'],
    [['a', 'b', 'c'], 'unexpected argument "c"'],
  ])('%j is a usage error: %s', (argv, message) => {
    const error = usageError(argv);
    expect(error.message).toBe(message);
    expect(error.fix).toBe('see "zonectl up --help"');
  });
});

describe('formatHelp', () => {
  it('shows usage, arguments, options with defaults, and examples', () => {
    expect(formatHelp(spec)).toBe(
      [
        'Usage: zonectl up MACHINE [EXTRA] [OPTIONS]',
        '',
        'Attach a machine.',
        '',
        'More words.',
        '',
        'Arguments:',
        '  MACHINE  the machine',
        '  EXTRA    optional one',
        '',
        'Options:',
        '  -n, --network NAME  the network (default: cni-zones)',
        '  -p, --port SPEC     a port',
        '                      second line',
        '      --json          JSON',
        '  -h, --help          show this help',
        '',
        'Examples:',
        '  zonectl up web',
        '',
      ].join('\n'),
    );
  });
});

describe('twoColumns', () => {
  it('aligns the second column', () => {
    expect(
      twoColumns([
        ['a', 'x'],
        ['long', 'y'],
      ]),
    ).toEqual(['  a     x', '  long  y']);
  });
});
