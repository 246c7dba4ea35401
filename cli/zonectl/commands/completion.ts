// zonectl completion bash: the completion script, for a shell's startup file or a package.
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

/** The shells there is a completion script for. */
export const COMPLETION_SHELLS: readonly string[] = ['bash'];

export const completionCommand: Command = {
  spec: {
    name: 'completion',
    summary: 'Print the shell completion script of zonectl.',
    description:
      'Prints a script that completes commands, options, directories, networks (from the conf dir)\n' +
      'and machines for zonectl. The Debian package installs it where bash-completion finds it; elsewhere,\n' +
      'load it in ~/.bashrc with: source <(zonectl completion bash)\n' +
      'or save it as /etc/bash_completion.d/zonectl. It works with or without bash-completion.',
    positionals: [{ name: 'SHELL', description: `the shell: ${COMPLETION_SHELLS.join(', ')}` }],
    options: [],
    examples: ['source <(zonectl completion bash)', 'zonectl completion bash > /etc/bash_completion.d/zonectl'],
  },
  async run(args, io) {
    const [shell = ''] = args.positionals;
    if (!COMPLETION_SHELLS.includes(shell))
      throw new UsageError(
        `no completion for shell "${shell}"; there is one for ${COMPLETION_SHELLS.join(', ')}`,
        'see "zonectl completion --help"',
      );
    // Loaded here, not with the command table: the script is made from that table (../cli.ts).
    const { renderBashCompletion } = await import('../manual/bash-completion.js');
    io.out(renderBashCompletion());
    return 0;
  },
};
