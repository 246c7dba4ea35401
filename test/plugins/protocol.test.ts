// The bundled executables, run as a runtime runs them (env + stdin → exit code + stdout JSON):
// the protocol answers every plugin gives whatever its features.
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../support/plugin-process.js';

const PLUGINS = ['zone', 'zone-ipam', 'zone-ports'] as const;
const bin = (name: string) => `dist/bin/${name}`;
const SUPPORTED = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

describe.each(PLUGINS)('%s (bundled)', (name) => {
  it('is built as one executable file with a node shebang', () => {
    expect(existsSync(bin(name)), `${bin(name)} missing: run make build`).toBe(true);
    expect(statSync(bin(name)).mode & 0o111).not.toBe(0);
  });

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
    expect(r.json).toEqual({ cniVersion: '1.0.0', supportedVersions: SUPPORTED });
  });

  it('answers VERSION with empty stdin', async () => {
    const r = await runPlugin(bin(name), { command: 'VERSION', stdin: '' });
    expect(r.json).toEqual({ cniVersion: '1.1.0', supportedVersions: SUPPORTED });
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
      { command: 'ADD', containerId: 'c1', netns: '/run/netns/x', ifname: 'eth0', path: '/x', stdin: { cniVersion: '0.2.0', name: 'n', type: name } },
      1,
    ],
    [
      'an invalid container ID',
      { command: 'DEL', containerId: 'a b', ifname: 'eth0', path: '/x', stdin: { cniVersion: '1.0.0', name: 'n', type: name } },
      4,
    ],
    [
      'STATUS for a 1.0.0 config',
      { command: 'STATUS', path: '/x', stdin: { cniVersion: '1.0.0', name: 'n', type: name } },
      1,
    ],
  ] as const)('answers %s with a JSON error of code %i and exit 1', async (_what, run, code) => {
    const r = await runPlugin(bin(name), run);
    expect(r.exitCode).toBe(1);
    expect(r.json).toMatchObject({ code, msg: expect.any(String), details: expect.any(String), cniVersion: expect.any(String) });
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});
