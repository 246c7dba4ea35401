import { describe, expect, it } from 'vitest';
import { dispatch, type Handlers, type PluginIO } from '../../../lib/cni/dispatch.js';
import { CniError } from '../../../lib/cni/errors.js';
import type { Result } from '../../../lib/cni/types.js';
import { RELEASE_VERSION } from '../../../lib/release/version.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
}

const envFor = (command: string): NodeJS.ProcessEnv => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/run/netns/c1',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
});

async function run(env: NodeJS.ProcessEnv, stdin: unknown, handlers: Handlers = {}, knownArgs: string[] = []): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: PluginIO = {
    env,
    readStdin: async () => (typeof stdin === 'string' ? stdin : JSON.stringify(stdin)),
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  };
  const code = await dispatch({ name: 'test', about: 'test plugin', knownArgs }, handlers, io);
  return { code, stdout, stderr, json: stdout ? JSON.parse(stdout) : undefined };
}

const conf = (cniVersion = '1.1.0', extra: object = {}) => ({ cniVersion, name: 'net', type: 'test', ...extra });
const result: Result = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'eth0', sandbox: '/run/netns/c1', mtu: 1500 }],
  ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 0 }],
};
const addOnly: Handlers = { add: async () => result };

describe('dispatch', () => {
  it('prints the about text on stderr for an empty command, exit 0, nothing on stdout', async () => {
    const r = await run({}, '');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toContain('test plugin');
    expect(r.stderr).toContain(`cni-zones ${RELEASE_VERSION}\n`);
    expect(r.stderr).toContain('1.1.0');
  });

  it('rejects an unknown command with code 4', async () => {
    const r = await run({ CNI_COMMAND: 'FROB' }, '');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ code: 4, cniVersion: '1.1.0' });
  });

  describe('VERSION', () => {
    it('answers the requested version with the supported list', async () => {
      const r = await run({ CNI_COMMAND: 'VERSION' }, { cniVersion: '0.4.0' });
      expect(r.json).toEqual({
        cniVersion: '0.4.0',
        supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
        cniZonesVersion: RELEASE_VERSION,
      });
    });

    it.each([['junk{'], [''], [{ cniVersion: '9.9.9' }]])('answers %j with the current version', async (stdin) => {
      const r = await run({ CNI_COMMAND: 'VERSION', CNI_NETNS: 'dummy', CNI_IFNAME: 'dummy', CNI_PATH: 'dummy' }, stdin);
      expect(r.code).toBe(0);
      expect(r.json?.cniVersion).toBe('1.1.0');
    });
  });

  describe('ADD', () => {
    it.each(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])('prints the result in the config version %s', async (v) => {
      const r = await run(envFor('ADD'), conf(v), addOnly);
      expect(r.code).toBe(0);
      expect(r.json?.cniVersion).toBe(v);
      const ips = r.json?.ips as { version?: string }[];
      expect(ips[0]?.version).toBe(v.startsWith('0.') ? '4' : undefined);
    });

    it('gives the handler parsed env, conf and prevResult', async () => {
      let seen: unknown;
      await run(envFor('ADD'), conf('1.0.0', { prevResult: { ips: [{ address: '10.0.0.3/24' }] } }), {
        add: async (req) => {
          seen = { id: req.env.containerId, name: req.conf.name, prev: req.prevResult?.ips };
          return result;
        },
      });
      expect(seen).toEqual({ id: 'c1', name: 'net', prev: [{ address: '10.0.0.3/24' }] });
    });

    it('prints a handler CniError as JSON on stdout with exit 1', async () => {
      const r = await run(envFor('ADD'), conf('1.0.0'), {
        add: async () => {
          throw new CniError(7, 'bad zone', 'zone names are at most 12 characters');
        },
      });
      expect(r.code).toBe(1);
      expect(r.json).toEqual({ cniVersion: '1.0.0', code: 7, msg: 'bad zone', details: 'zone names are at most 12 characters' });
    });

    it('turns any other exception into code 100 without a stack trace', async () => {
      const r = await run(envFor('ADD'), conf(), {
        add: async () => {
          throw new TypeError('boom');
        },
      });
      expect(r.json).toMatchObject({ code: 100, msg: 'boom' });
      expect(r.stdout).not.toMatch(/at .*\.ts/);
      expect(r.stderr).toBe('');
    });

    it('refuses a missing handler with code 50 instead of pretending', async () => {
      const r = await run(envFor('ADD'), conf(), {});
      expect(r.json).toMatchObject({ code: 50 });
    });

    it('validates env before config, naming missing variables (code 4)', async () => {
      const r = await run({ CNI_COMMAND: 'ADD' }, 'not json', addOnly);
      expect(r.json).toMatchObject({ code: 4 });
    });

    it('answers errors found before the config is parsed in the version stdin asked for', async () => {
      const missingEnv = await run({ CNI_COMMAND: 'ADD' }, conf('1.0.0'), addOnly);
      expect(missingEnv.json).toMatchObject({ code: 4, cniVersion: '1.0.0' });
      const badIfname = await run({ ...envFor('ADD'), CNI_IFNAME: 'ethé' }, conf('0.4.0'), addOnly);
      expect(badIfname.json).toMatchObject({ code: 4, cniVersion: '0.4.0' });
      const unknownCommand = await run({ CNI_COMMAND: 'FROB' }, conf('0.3.1'));
      expect(unknownCommand.json).toMatchObject({ code: 4, cniVersion: '0.3.1' });
      const badArgs = await run({ ...envFor('DEL'), CNI_ARGS: 'junk' }, conf('1.0.0'), addOnly);
      expect(badArgs.json).toMatchObject({ code: 4, cniVersion: '1.0.0' });
    });

    it('answers in the current version when stdin asked for none we speak', async () => {
      expect((await run({ CNI_COMMAND: 'ADD' }, conf('9.9.9'), addOnly)).json).toMatchObject({ code: 4, cniVersion: '1.1.0' });
      expect((await run({ CNI_COMMAND: 'ADD' }, '{junk', addOnly)).json).toMatchObject({ code: 4, cniVersion: '1.1.0' });
    });

    it('a missing or junk cniVersion is code 1, as in libcni', async () => {
      const { cniVersion: _none, ...noVersion } = conf();
      expect((await run(envFor('ADD'), noVersion, addOnly)).json).toMatchObject({ code: 1 });
      expect((await run(envFor('ADD'), conf('latest'), addOnly)).json).toMatchObject({ code: 1 });
    });

    it('bad JSON on stdin is code 6', async () => {
      expect((await run(envFor('ADD'), '{', addOnly)).json).toMatchObject({ code: 6 });
    });

    it('an unsupported config version is code 1 and lists the supported ones', async () => {
      const r = await run(envFor('ADD'), conf('0.2.0'), addOnly);
      expect(r.json).toMatchObject({ code: 1 });
      expect(r.json?.details).toContain('1.1.0');
    });

    it('DEL runs past a broken prevResult and runtimeConfig, which it does not need', async () => {
      let seen: unknown;
      const del: Handlers = { del: async (req) => void (seen = req) };
      const r = await run(envFor('DEL'), conf('1.0.0', { prevResult: 'x', runtimeConfig: { portMappings: [{ hostPort: 0 }] } }), del);
      expect(r).toMatchObject({ code: 0, stdout: '' });
      expect(seen).toMatchObject({ prevResult: undefined });
      expect((await run(envFor('DEL'), conf('1.0.0', { runtimeConfig: 'x' }), del)).code).toBe(0);
      // ADD is strict about the same input
      expect((await run(envFor('ADD'), conf('1.0.0', { prevResult: 'x' }), addOnly)).json).toMatchObject({ code: 6 });
    });

    it('unknown CNI_ARGS keys are code 4 unless IgnoreUnknown', async () => {
      expect((await run({ ...envFor('ADD'), CNI_ARGS: 'FOO=1' }, conf(), addOnly)).json).toMatchObject({ code: 4 });
      expect((await run({ ...envFor('ADD'), CNI_ARGS: 'IgnoreUnknown=1;FOO=1' }, conf(), addOnly)).code).toBe(0);
      expect((await run({ ...envFor('ADD'), CNI_ARGS: 'IP=10.0.0.9' }, conf(), addOnly, ['IP'])).code).toBe(0);
    });
  });

  describe('DEL', () => {
    it('prints nothing on success', async () => {
      const r = await run(envFor('DEL'), conf(), { del: async () => {} });
      expect(r).toMatchObject({ code: 0, stdout: '' });
    });
  });

  describe('CHECK', () => {
    const check: Handlers = { check: async () => {} };
    it('needs config version 0.4.0 or later (code 1)', async () => {
      const r = await run(envFor('CHECK'), conf('0.3.1', { prevResult: { cniVersion: '0.3.1' } }), check);
      expect(r.json).toMatchObject({ code: 1 });
    });
    it('needs a prevResult (code 7)', async () => {
      expect((await run(envFor('CHECK'), conf('1.0.0'), check)).json).toMatchObject({ code: 7 });
    });
    it('passes with both', async () => {
      expect((await run(envFor('CHECK'), conf('1.0.0', { prevResult: { cniVersion: '1.0.0' } }), check)).code).toBe(0);
    });
  });

  describe('STATUS and GC', () => {
    it.each(['STATUS', 'GC'])('%s needs config version 1.1.0 (code 1)', async (command) => {
      const r = await run({ CNI_COMMAND: command, CNI_PATH: '/x' }, conf('1.0.0'), {
        add: result as never,
        status: async () => {},
        gc: async () => {},
      });
      expect(r.json).toMatchObject({ code: 1 });
    });

    it('STATUS needs only CNI_PATH and reports 50 when the plugin cannot ADD', async () => {
      const r = await run({ CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, conf(), {});
      expect(r.json).toMatchObject({ code: 50 });
    });

    it('STATUS succeeds silently when the handler does', async () => {
      const r = await run({ CNI_COMMAND: 'STATUS', CNI_PATH: '/x' }, conf(), { ...addOnly, status: async () => {} });
      expect(r).toMatchObject({ code: 0, stdout: '' });
    });

    it('GC hands over the valid attachments', async () => {
      let kept: unknown;
      const keep = [{ containerID: 'c1', ifname: 'eth0' }];
      const r = await run({ CNI_COMMAND: 'GC', CNI_PATH: '/x' }, conf('1.1.0', { 'cni.dev/valid-attachments': keep }), {
        gc: async (req) => void (kept = req.validAttachments),
      });
      expect(r.code).toBe(0);
      expect(kept).toEqual([{ network: 'net', containerId: 'c1', ifname: 'eth0' }]);
    });
  });
});

describe('dispatch: the call time budget', () => {
  const hangs: Handlers = { add: () => new Promise<Result>(() => undefined), del: () => new Promise<void>(() => undefined) };

  it('answers 11 when the handler outlives "timeoutSeconds", in about that time', async () => {
    const started = performance.now();
    const r = await run(envFor('ADD'), conf('1.0.0', { timeoutSeconds: 0.3 }), hangs);
    const took = performance.now() - started;
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ cniVersion: '1.0.0', code: 11 });
    expect(String(r.json?.msg)).toContain('0.3 s');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2_000);
  });

  it('hands every wait inside the call what is left of the budget, less the reserve for undoing', async () => {
    const { waitLimit, spendReserve } = await import('../../../lib/system/budget.js');
    let seen: number[] = [];
    const handlers: Handlers = {
      add: async () => {
        seen = [waitLimit(30_000)];
        spendReserve();
        seen.push(waitLimit(30_000));
        return result;
      },
    };
    const r = await run(envFor('ADD'), conf('1.1.0', { timeoutSeconds: 10 }), handlers);
    expect(r.code).toBe(0);
    // 10 s, less 0.5 s to answer in, with a fifth held back for undoing; the undo may use all of it
    expect(seen[0]).toBeGreaterThan(7_000);
    expect(seen[0]).toBeLessThanOrEqual(7_500);
    expect(seen[1]).toBeGreaterThan(9_000);
    expect(seen[1]).toBeLessThanOrEqual(9_500);
    // after the call, waits are bounded by their own caps again
    expect(waitLimit(30_000)).toBe(30_000);
  });

  it('refuses a "timeoutSeconds" that is not a positive number of seconds up to an hour (7)', async () => {
    for (const timeoutSeconds of [0, -1, 3601, '55']) {
      const r = await run(envFor('ADD'), conf('1.1.0', { timeoutSeconds }), addOnly);
      expect(r.json, JSON.stringify(timeoutSeconds)).toMatchObject({ code: 7 });
    }
  });

  it('lets DEL run with the default budget when "timeoutSeconds" is invalid', async () => {
    let ran = false;
    const r = await run(envFor('DEL'), conf('1.1.0', { timeoutSeconds: 'soon' }), { del: async () => void (ran = true) });
    expect(r.code).toBe(0);
    expect(ran).toBe(true);
  });
});
