// The guide format test/support/guides.ts reads: header, `sh` and `sh host=N` blocks, `output`
// blocks matched in order with `...`, `<!-- not run: REASON -->`, and a guide with nothing to run.

import { describe, expect, it } from 'vitest';
import type { GuideEnv } from '../support/guide-env.js';
import { GuideFormatError, outputMismatch, parseGuide, runGuideSteps } from '../support/guides.js';

const fence = '```';
const header = '<!-- guide: env=machine packages=podman,containerd -->';

function guide(...parts: string[]): string {
  return [header, '# A guide', '', ...parts].join('\n');
}

describe('parseGuide', () => {
  it('reads the header, the sh blocks in order and the output block after one', () => {
    const parsed = parseGuide(
      'g',
      guide(
        `${fence}sh`,
        'echo one',
        fence,
        'It prints:',
        `${fence}output`,
        'one',
        '',
        fence,
        `${fence}json`,
        '{}',
        fence,
        `${fence}sh`,
        'echo two',
        fence,
      ),
    );
    expect(parsed).toMatchObject({ env: 'machine', packages: ['podman', 'containerd'], tools: [] });
    expect(parsed.steps).toEqual([
      { line: 4, host: 1, script: 'echo one\n', expected: ['one'] },
      { line: 15, host: 1, script: 'echo two\n' },
    ]);
  });

  it('takes host=2 in a two-hosts guide, and refuses it in a machine guide', () => {
    const body = `${fence}sh host=2\nhostname\n${fence}`;
    expect(parseGuide('g', `<!-- guide: env=two-hosts -->\n${body}`).steps[0]?.host).toBe(2);
    expect(() => parseGuide('g', guide(body))).toThrow(/host=2 in an env=machine guide/);
  });

  it('marks a block after <!-- not run: REASON --> with its reason', () => {
    const parsed = parseGuide(
      'g',
      guide('<!-- not run: not packaged in Debian 12 -->', '', `${fence}sh`, 'nerdctl run x', fence, `${fence}sh`, 'true', fence),
    );
    expect(parsed.steps.map((step) => step.notRun)).toEqual(['not packaged in Debian 12', undefined]);
  });

  it('fails a guide without a block it runs', () => {
    expect(() => parseGuide('g', guide(`${fence}json`, '{}', fence))).toThrow(GuideFormatError);
    expect(() => parseGuide('g', guide('<!-- not run: no tool -->', `${fence}sh`, 'x', fence))).toThrow(/no block is run/);
  });

  it('fails a guide without the header, or with an unknown env, key or sh option', () => {
    expect(() => parseGuide('g', `# A guide\n${fence}sh\ntrue\n${fence}`)).toThrow(/no <!-- guide: env=/);
    expect(() => parseGuide('g', `<!-- guide: env=cloud -->\n${fence}sh\ntrue\n${fence}`)).toThrow(/env must be/);
    expect(() => parseGuide('g', `<!-- guide: env=machine color=red -->\n${fence}sh\ntrue\n${fence}`)).toThrow(/unknown header keys color/);
    expect(() => parseGuide('g', guide(`${fence}sh sudo`, 'true', fence))).toThrow(/unknown sh option/);
  });

  it('fails an output block that follows no sh block, and an unclosed block', () => {
    expect(() => parseGuide('g', guide(`${fence}sh`, 'true', fence, `${fence}json`, '{}', fence, `${fence}output`, 'x', fence))).toThrow(
      /must follow a sh block/,
    );
    expect(() => parseGuide('g', guide(`${fence}sh`, 'true'))).toThrow(/never closed/);
  });

  it('keeps a longer fence open across a shorter one inside it', () => {
    const parsed = parseGuide('g', guide('````sh', 'cat <<EOF', fence, 'EOF', '````'));
    expect(parsed.steps[0]?.script).toBe(`cat <<EOF\n${fence}\nEOF\n`);
  });
});

describe('outputMismatch', () => {
  const output = 'Reading package lists...\nSetting up cni-zones (1.2.3) ...\nNETWORK ID  NAME   DRIVER\nabc         zones  bridge\n';

  it('finds the first line anywhere and each next one on the following line', () => {
    expect(outputMismatch(['NAME', 'zones'], output)).toBeUndefined();
    expect(outputMismatch(['Setting up cni-zones', 'NETWORK ID'], output)).toBeUndefined();
  });

  it('fails lines out of order or not adjacent without ...', () => {
    expect(outputMismatch(['bridge', 'NAME'], output)).toMatch(/line 2 "NAME" not found/);
    expect(outputMismatch(['Reading package lists', 'NETWORK ID'], output)).toMatch(/line 2 "NETWORK ID"/);
  });

  it('lets ... pass any lines, none included', () => {
    expect(outputMismatch(['Reading package lists', '...', 'NETWORK ID'], output)).toBeUndefined();
    expect(outputMismatch(['NETWORK ID', '...', 'zones'], output)).toBeUndefined();
    expect(outputMismatch(['...', 'zones', '...'], output)).toBeUndefined();
  });

  it('backtracks to a later match of a line when the next one fails after the first', () => {
    expect(outputMismatch(['a', 'c'], 'a\nb\na\nc\n')).toBeUndefined();
  });

  it('names the first expected line it cannot find', () => {
    expect(outputMismatch(['NAME', 'podman'], output)).toBe('expected line 2 "podman" not found after the line matching "NAME"');
    expect(outputMismatch(['missing'], output)).toBe('expected line 1 "missing" not found');
  });
});

describe('runGuideSteps', () => {
  function fakeEnv(results: Record<string, { exitCode: number; output: string }>) {
    const ran: string[] = [];
    const env: GuideEnv = {
      async run(script) {
        ran.push(script.trim());
        return results[script.trim()] ?? { exitCode: 0, output: '' };
      },
      async stop() {},
    };
    return { env, ran };
  }

  it('runs blocks in order, skips the not-run ones, and stops at the first failure with block, exit code and output', async () => {
    const parsed = parseGuide(
      'g',
      guide(
        '<!-- not run: no nerdctl -->',
        `${fence}sh`,
        'nerdctl',
        fence,
        `${fence}sh`,
        'first',
        fence,
        `${fence}sh`,
        'second',
        fence,
        `${fence}sh`,
        'third',
        fence,
      ),
    );
    const { env, ran } = fakeEnv({ second: { exitCode: 3, output: 'it broke' } });
    const run = await runGuideSteps(parsed, env);
    expect(ran).toEqual(['first', 'second']);
    expect(run.skipped.map((step) => step.notRun)).toEqual(['no nerdctl']);
    expect(run.failure).toMatch(/docs\/guides\/g\.md:11: exit code 3/);
    expect(run.failure).toMatch(/ {4}second/);
    expect(run.failure).toMatch(/ {4}it broke/);
  });

  it('fails a block whose output does not match', async () => {
    const parsed = parseGuide('g', guide(`${fence}sh`, 'status', fence, `${fence}output`, 'zone web', fence));
    const { env } = fakeEnv({ status: { exitCode: 0, output: 'no zones\n' } });
    expect((await runGuideSteps(parsed, env)).failure).toMatch(/output does not match: expected line 1 "zone web" not found/);
  });
});
