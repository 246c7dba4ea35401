import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNetConf } from '../../../lib/cni/config.js';
import { delegate, delegateAdd } from '../../../lib/cni/delegate.js';
import { parseEnv } from '../../../lib/cni/env.js';
import type { CniError } from '../../../lib/cni/errors.js';
import { execPlugin, findPlugin } from '../../../lib/cni/exec.js';

const dir = mkdtempSync(join(tmpdir(), 'cni-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function errorOf(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (e) {
    return e as CniError;
  }
  throw new Error('expected a rejection');
}

const echo = script('echo-env', 'cat >/dev/null; printf \'{"cniVersion":"1.0.0","dns":{"domain":"%s"}}\' "$CNI_COMMAND-$CNI_IFNAME"');
script('not-executable', 'true');
chmodSync(join(dir, 'not-executable'), 0o644);
const failing = script('failing', 'echo \'{"cniVersion":"1.0.0","code":7,"msg":"bad","details":"why"}\'; exit 1');
const crashing = script('crashing', 'echo oops >&2; exit 3');
const sleeping = script('sleeping', 'sleep 5');
const stdinEcho = script('stdin-echo', 'cat');

describe('findPlugin', () => {
  it('finds an executable in the path directories, in order', () => {
    expect(findPlugin('echo-env', ['/nonexistent', dir])).toBe(echo);
  });
  it('skips a file without the run bit and fails with code 50 naming the path', async () => {
    const e = await errorOf(Promise.resolve().then(() => findPlugin('not-executable', [dir])));
    expect(e.code).toBe(50);
    expect(e.message).toContain(dir);
  });
  it('refuses a type that is not a plain file name (code 7)', async () => {
    const e = await errorOf(Promise.resolve().then(() => findPlugin('../bin/sh', [dir])));
    expect(e.code).toBe(7);
  });
});

describe('execPlugin', () => {
  it('resolves with stdout and passes stdin through', async () => {
    expect(await execPlugin({ executable: stdinEcho, env: {}, stdin: 'hello' })).toBe('hello');
  });
  it('rejects with the CNI error the plugin printed', async () => {
    const e = await errorOf(execPlugin({ executable: failing, env: {}, stdin: '' }));
    expect(e).toMatchObject({ code: 7, message: 'bad', details: 'why' });
  });
  it('describes a crash without a CNI error, with stderr in details (code 100)', async () => {
    const e = await errorOf(execPlugin({ executable: crashing, env: {}, stdin: '' }));
    expect(e.code).toBe(100);
    expect(e.message).toContain('exited with code 3');
    expect(e.details).toContain('oops');
  });
  it('kills a plugin that overruns its timeout (code 101)', async () => {
    const started = Date.now();
    const e = await errorOf(execPlugin({ executable: sleeping, env: {}, stdin: '', timeoutMs: 200 }));
    expect(e.code).toBe(101);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('delegate', () => {
  const env = parseEnv({ CNI_CONTAINERID: 'c1', CNI_NETNS: '/n', CNI_IFNAME: 'eth1', CNI_PATH: dir }, 'ADD');
  const conf = parseNetConf(JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'zone', ipam: { type: 'echo-env' } }));

  it('runs the plugin from CNI_PATH with the command overridden and parses its result', async () => {
    const result = await delegateAdd('echo-env', env, conf, { env: { CNI_IFNAME: 'eth1' } });
    expect(result.dns?.domain).toBe('ADD-eth1');
  });

  it('sends the exact config text for every command', async () => {
    expect(await delegate('stdin-echo', 'DEL', env, conf)).toBe(conf.text);
  });

  it('a missing delegate is code 50', async () => {
    expect((await errorOf(delegate('nope', 'ADD', env, conf))).code).toBe(50);
  });
});
