import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asCniError, ErrorCode } from '../../../lib/cni/errors.js';
import { isExists, isNftError } from '../../../lib/nft/errors.js';
import { ProcessExecutor } from '../../../lib/nft/executor.js';
import { makeTestTempDir } from '../../support/paths.js';

// Stand-ins for nft: shell scripts (no real nft runs in unit tests).
const dir = makeTestTempDir('nft-exec');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const echo = script('echo-nft', 'printf "args:%s\\n" "$*"; printf "stdin:"; cat');
const exists = script(
  'exists-nft',
  'cat >/dev/null; printf "/dev/stdin:1:19-27: Error: Could not process rule: File exists\\ncreate table inet t\\n" >&2; exit 1',
);
const slow = script('slow-nft', 'exec sleep 5');
const early = script('early-nft', 'exit 0');

describe('ProcessExecutor', () => {
  it('passes arguments and input, returns stdout', async () => {
    const nft = new ProcessExecutor({ nft: echo });
    await expect(nft.run(['-f', '-'], 'add table inet t\n')).resolves.toBe('args:-f -\nstdin:add table inet t\n');
  });

  it('runs behind a prefix', async () => {
    const nft = new ProcessExecutor({ nft: echo, prefix: ['env', 'X=1'] });
    await expect(nft.run(['list', 'tables'])).resolves.toBe('args:list tables\nstdin:');
  });

  it('maps stderr to a typed error', async () => {
    const error = await new ProcessExecutor({ nft: exists }).run(['-f', '-'], 'create table inet t\n').catch((e: unknown) => e);
    expect(isExists(error)).toBe(true);
    expect(error).toMatchObject({ message: 'nft transaction failed: Could not process rule: File exists', exitCode: 1 });
    expect(asCniError(error).code).toBe(ErrorCode.Internal);
  });

  it('reports a binary that cannot start as unavailable (code 50)', async () => {
    const error = await new ProcessExecutor({ nft: join(dir, 'missing') }).run(['list', 'tables']).catch((e: unknown) => e);
    expect(isNftError(error, 'unavailable')).toBe(true);
    expect(asCniError(error).code).toBe(ErrorCode.PluginNotAvailable);
  });

  it('kills nft after the timeout', async () => {
    const error = await new ProcessExecutor({ nft: slow, timeoutMs: 100 }).run(['list', 'tables']).catch((e: unknown) => e);
    expect(isNftError(error, 'timeout')).toBe(true);
    expect((error as Error).message).toBe('nft list tables timed out after 100 ms');
  });

  it('survives nft exiting before it read its input', async () => {
    await expect(new ProcessExecutor({ nft: early }).run(['-f', '-'], 'x'.repeat(1 << 20))).resolves.toBe('');
  });

  it('refuses a relative netns and netns together with a prefix', async () => {
    await expect(new ProcessExecutor({ nft: echo, netns: 'czt-x' }).run(['list', 'tables'])).rejects.toThrow('netns must be a path');
    await expect(new ProcessExecutor({ nft: echo, netns: '/run/netns/x', prefix: ['env'] }).run([])).rejects.toThrow('not both');
  });

  // The netns option (nsenter --net=PATH) is exercised for real by test/e2e/nft.test.ts.
});
