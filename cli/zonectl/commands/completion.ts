// zonectl completion bash: the completion script, for a shell's startup file or a package.
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { COMPLETION_SHELLS, renderBashCompletion } from '../manual/bash-completion.js';

/** The command, given the table it completes (which lists this command too, hence a function). */
export const completionCommand = (commands: () => readonly Command[]): Command => ({
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
    io.out(renderBashCompletion(commands()));
    return 0;
  },
});
