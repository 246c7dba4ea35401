import { describe, expect, it } from 'vitest';
import { COMMANDS, run } from '../../../../cli/zonectl/cli.js';
import { renderBashCompletion } from '../../../../cli/zonectl/manual/bash-completion.js';
import { captureIo } from '../helpers.js';

describe('zonectl completion', () => {
  it('prints the bash completion script', async () => {
    const io = captureIo();
    expect(await run(['completion', 'bash'], io)).toBe(0);
    expect(io.stdout).toBe(renderBashCompletion(COMMANDS));
    expect(io.stdout).toContain('complete -F _zonectl zonectl');
    expect(io.stderr).toBe('');
  });

  it('refuses a shell it has no script for, and a missing shell, as usage errors', async () => {
    const zsh = captureIo();
    expect(await run(['completion', 'zsh'], zsh)).toBe(2);
    expect(zsh.stderr).toContain('no completion for shell "zsh"; there is one for bash');
    expect(zsh.stdout).toBe('');
    const none = captureIo();
    expect(await run(['completion'], none)).toBe(2);
    expect(none.stderr).toContain('missing SHELL');
  });

  it('says in its help how to load the script', async () => {
    const io = captureIo();
    expect(await run(['completion', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('source <(zonectl completion bash)');
  });
});
