// zonectl completion bash: the completion script, for a shell's startup file or a package.
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { renderBashCompletion } from '../manual/bash-completion.js';

const SHELLS = ['bash'];

export const completionCommand: Command = {
  spec: {
    name: 'completion',
    summary: 'Print the shell completion script of zonectl.',
    description:
      'Prints a script that completes commands, options, directories, networks (from the conf dir)\n' +
      'and machines for zonectl. The Debian package installs it where bash-completion finds it; elsewhere,\n' +
      'load it in ~/.bashrc with: source <(zonectl completion bash)\n' +
      'or save it as /etc/bash_completion.d/zonectl. It works with or without bash-completion.',
    positionals: [{ name: 'SHELL', description: `the shell: ${SHELLS.join(', ')}` }],
    options: [],
    examples: ['source <(zonectl completion bash)', 'zonectl completion bash > /etc/bash_completion.d/zonectl'],
  },
  async run(args, io) {
    const [shell = ''] = args.positionals;
    if (!SHELLS.includes(shell))
      throw new UsageError(`no completion for shell "${shell}"; there is one for ${SHELLS.join(', ')}`, 'see "zonectl completion --help"');
    io.out(renderBashCompletion());
    return 0;
  },
};
