// The built executables, in both forms, run as a runtime runs them (env + stdin → exit code +
// stdout JSON): the protocol answers every plugin gives whatever its features.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RELEASE_VERSION } from '../../lib/release/version.js';
import { runPlugin } from '../support/plugin-process.js';

const PLUGINS = ['zone', 'zone-ipam', 'zone-ports'] as const;
const FORMS = [
  ['compiled', (name: string) => `dist/native/${name}`],
  ['node', (name: string) => `dist/bin/${name}`],
] as const;
const SUPPORTED = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

describe.each(FORMS.flatMap(([form, bin]) => PLUGINS.map((name) => [name, form, bin] as const)))('%s (%s)', (name, form, bin) => {
  it('is built as one executable file', () => {
    expect(existsSync(bin(name)), `${bin(name)} missing: run make build`).toBe(true);
    expect(statSync(bin(name)).mode & 0o111).not.toBe(0);
    const start = readFileSync(bin(name)).subarray(0, 4);
    // The compiled form is an ELF executable; a bundle starts with its node shebang.
    expect(start.toString('latin1')).toBe(form === 'compiled' ? '\x7fELF' : '#!/u');
  });

  if (form === 'compiled') {
    // A runtime may start plugins with almost no environment; the compiled form needs no node on the PATH.
    it.each([['PATH=/opt/cni/bin:/usr/sbin:/sbin'], ['PATH=/opt/cni/bin'], []])('answers with env -i %s', (...path: string[]) => {
      const run = (command: string, input: string) =>
        spawnSync(
          '/usr/bin/env',
          [
            '-i',
            ...path,
            `CNI_COMMAND=${command}`,
            'CNI_CONTAINERID=c1',
            'CNI_IFNAME=eth0',
            'CNI_NETNS=/nonexistent',
            'CNI_PATH=/x',
            bin(name),
          ],
          {
            input,
            encoding: 'utf8',
            timeout: 10_000,
          },
        );
      const version = run('VERSION', '{"cniVersion":"1.0.0"}');
      expect(version.status).toBe(0);
      expect(JSON.parse(version.stdout)).toEqual({ cniVersion: '1.0.0', supportedVersions: SUPPORTED, cniZonesVersion: RELEASE_VERSION });
      const junk = run('ADD', '{');
      expect(junk.status).toBe(1);
      expect(JSON.parse(junk.stdout)).toMatchObject({ code: 6 });
    });
  }

  it('answers VERSION with junk in every other variable, as podman probes', async () => {
    const r = await runPlugin(bin(name), {
      command: 'VERSION',
      netns: 'dummy',
      ifname: 'dummy',
      path: 'dummy',
      containerId: 'dummy',
      stdin: { cniVersion: '1.0.0' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.json).toEqual({ cniVersion: '1.0.0', supportedVersions: SUPPORTED, cniZonesVersion: RELEASE_VERSION });
  });

  it('answers VERSION with empty stdin', async () => {
    const r = await runPlugin(bin(name), { command: 'VERSION', stdin: '' });
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: SUPPORTED, cniZonesVersion: RELEASE_VERSION });
  });

  it('prints an about text on stderr and nothing on stdout without a command', async () => {
    const r = await runPlugin(bin(name), { command: '', stdin: '' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(name);
  });

  it.each([
    ['an unknown command', { command: 'FROB', stdin: '' }, 4],
    ['missing variables', { command: 'ADD', stdin: '{}' }, 4],
    ['bad JSON', { command: 'ADD', containerId: 'c1', netns: '/run/netns/x', ifname: 'eth0', path: '/x', stdin: '{' }, 6],
    [
      'an unsupported version',
      {
        command: 'ADD',
        containerId: 'c1',
        netns: '/run/netns/x',
        ifname: 'eth0',
        path: '/x',
        stdin: { cniVersion: '0.2.0', name: 'n', type: name },
      },
      1,
    ],
    [
      'an invalid container ID',
      { command: 'DEL', containerId: 'a b', ifname: 'eth0', path: '/x', stdin: { cniVersion: '1.0.0', name: 'n', type: name } },
      4,
    ],
    ['STATUS for a 1.0.0 config', { command: 'STATUS', path: '/x', stdin: { cniVersion: '1.0.0', name: 'n', type: name } }, 1],
  ] as const)('answers %s with a JSON error of code %i and exit 1', async (_what, run, code) => {
    const r = await runPlugin(bin(name), run);
    expect(r.exitCode).toBe(1);
    expect(r.json).toMatchObject({ code, msg: expect.any(String), details: expect.any(String), cniVersion: expect.any(String) });
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});
