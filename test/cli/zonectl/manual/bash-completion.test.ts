// The generated completion run by real bash, as readline would call it: COMP_WORDS, COMP_CWORD,
// COMP_LINE and COMP_POINT set, _zonectl called, COMPREPLY read back. Once in plain bash and once
// with bash-completion loaded (its _filedir then completes files).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../../../lib/system/process.js';
import { COMMANDS } from '../../../../cli/zonectl/cli.js';
import { renderBashCompletion } from '../../../../cli/zonectl/manual/bash-completion.js';

const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion';
const visible = COMMANDS.filter((c) => !c.hidden).map((c) => c.spec);

let dir: string;
let script: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'completion-'));
  script = join(dir, 'zonectl.bash');
  writeFileSync(script, renderBashCompletion(COMMANDS));
  mkdirSync(join(dir, 'dirs/alpha'), { recursive: true });
  mkdirSync(join(dir, 'dirs/beta'));
  writeFileSync(join(dir, 'dirs/afile'), '');
  mkdirSync(join(dir, 'net.d'));
  writeFileSync(
    join(dir, 'net.d/10-one.conflist'),
    '{\n  "cniVersion": "1.0.0",\n  "name": "one",\n  "plugins": [{ "type": "zone" }]\n}\n',
  );
  writeFileSync(join(dir, 'net.d/20-two.conflist'), '{"cniVersion":"1.0.0","name":"two","plugins":[{"type":"zone","name":"x"}]}');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** COMPREPLY for the command line `words`, the last word being the one completed. */
async function complete(words: string[], withBashCompletion: boolean): Promise<string[]> {
  const line = words.join(' ');
  const program = [
    withBashCompletion ? `source ${BASH_COMPLETION}` : 'declare -F _filedir >/dev/null && exit 3',
    'source "$1"; shift',
    `COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}`,
    '_zonectl',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const result = await runProcess('bash', ['--norc', '--noprofile', '-c', program, 'bash', script, ...words], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    timeoutMs: 10_000,
  });
  expect(result.stderr, line).toBe('');
  expect(result.exitCode, line).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

describe.each([
  ['plain bash', false],
  ['bash with bash-completion', true],
])('zonectl completion in %s', (_name, withBashCompletion) => {
  const tab = (...words: string[]) => complete(['zonectl', ...words], withBashCompletion);

  beforeAll(() => {
    if (withBashCompletion) expect(existsSync(BASH_COMPLETION), `${BASH_COMPLETION}: install bash-completion`).toBe(true);
  });

  it('completes command names', async () => {
    expect(await tab('st')).toEqual(['status']);
    expect(await tab('re')).toEqual(['repair', 'remove-zone']);
    const first = [...new Set(visible.map((s) => s.name.split(' ')[0]))];
    expect((await tab('')).sort()).toEqual([...first, 'help', '--help', '--version'].sort());
    expect(await tab('help', 'ns')).toEqual(['nspawn']);
  });

  it('completes the second word of a two-word command', async () => {
    expect(await tab('nspawn', '')).toEqual(['enable', 'disable']);
    expect(await tab('nspawn', 'd')).toEqual(['disable']);
  });

  it.each(visible.map((spec) => [spec.name, spec] as const))('completes every option of "%s"', async (name, spec) => {
    const expected = [...spec.options.map((o) => `--${o.name}`), '--help'];
    expect(await tab(...name.split(' '), '--')).toEqual(expected);
  });

  it('completes the install directories, and only directories', async () => {
    expect(await tab('install', '--')).toEqual(
      expect.arrayContaining(['--bin-dir', '--conf-dir', '--lib-dir', '--sbin-dir', '--unit-dir']),
    );
    expect((await tab('install', '--bin-dir', `${dir}/dirs/`)).sort()).toEqual([`${dir}/dirs/alpha`, `${dir}/dirs/beta`]);
    expect(await tab('status', '--conf-dir', '=', `${dir}/dirs/a`)).toEqual([`${dir}/dirs/alpha`]);
  });

  it('completes a file option with files', async () => {
    expect((await tab('kube-node-setup', '--config', `${dir}/dirs/a`)).sort()).toEqual([`${dir}/dirs/afile`, `${dir}/dirs/alpha`]);
  });

  it('completes --network with the names of the networks in the conf dir on the line', async () => {
    expect(await tab('up', 'web', '--conf-dir', join(dir, 'net.d'), '--network', '')).toEqual(['one', 'two']);
    expect(await tab('nspawn', 'enable', '--conf-dir', join(dir, 'net.d'), '-n', 't')).toEqual(['two']);
  });

  it('offers nothing for a value it cannot know, and the shells after "completion"', async () => {
    expect(await tab('up', 'web', '--port', '')).toEqual([]);
    expect(await tab('completion', '')).toEqual(['bash']);
    expect(await tab('completion', 'bash', '')).toEqual([]);
  });
});

it('registers _zonectl for zonectl', async () => {
  const result = await runProcess('bash', ['--norc', '--noprofile', '-c', 'source "$1" && complete -p zonectl', 'bash', script], {
    timeoutMs: 10_000,
  });
  expect(result.stdout.trim()).toBe('complete -F _zonectl zonectl');
});

it("is found by bash-completion's loader where the package installs it (completions/zonectl)", async () => {
  const user = join(dir, 'user');
  mkdirSync(join(user, 'completions'), { recursive: true });
  writeFileSync(join(user, 'completions/zonectl'), renderBashCompletion(COMMANDS));
  const program = `source ${BASH_COMPLETION}; complete -p zonectl 2>/dev/null && exit 3; __load_completion zonectl && complete -p zonectl`;
  const result = await runProcess('bash', ['--norc', '--noprofile', '-c', program], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, BASH_COMPLETION_USER_DIR: user },
    timeoutMs: 10_000,
  });
  expect(result.stdout.trim()).toBe('complete -F _zonectl zonectl');
});
