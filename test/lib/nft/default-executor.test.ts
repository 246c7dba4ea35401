import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asCniError, ErrorCode } from '../../../lib/cni/errors.js';
import { chooseNftExecutor, defaultNftExecutor } from '../../../lib/nft/default-executor.js';
import { isNftError, type NftError } from '../../../lib/nft/errors.js';
import { ProcessExecutor } from '../../../lib/nft/executor.js';
import { makeTestTempDir } from '../../support/paths.js';

// The library side is a path that cannot load; the binary a shell script (no real nft here).
const dir = makeTestTempDir('nft-default');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const missingLibrary = '/nonexistent/libnftables.so.1';
const echo = join(dir, 'echo-nft');
writeFileSync(echo, '#!/bin/sh\nprintf "args:%s\\n" "$*"\n');
chmodSync(echo, 0o755);

describe('chooseNftExecutor', () => {
  it('falls back to the nft binary when the library cannot be loaded', async () => {
    const chosen = chooseNftExecutor({ library: missingLibrary, nft: echo });
    expect(chosen).toBeInstanceOf(ProcessExecutor);
    await expect(chosen.run(['list', 'tables'])).resolves.toBe('args:list tables\n');
  });

  it('fails every run as unavailable, naming both, when neither can be used', async () => {
    const chosen = chooseNftExecutor({ library: missingLibrary, nft: join(dir, 'missing-nft') });
    const error = (await chosen.run(['list', 'tables']).catch((e: unknown) => e)) as NftError;
    expect(isNftError(error, 'unavailable')).toBe(true);
    expect(asCniError(error).code).toBe(ErrorCode.PluginNotAvailable);
    expect(error.message).toBe(`nftables unavailable: neither ${missingLibrary} nor the nft binary can be used`);
    expect(error.details).toContain(`cannot load ${missingLibrary}`);
    expect(error.details).toContain(`${join(dir, 'missing-nft')} is not executable`);
  });
});

describe('defaultNftExecutor', () => {
  it('chooses on its first run and keeps the choice', async () => {
    const nft = defaultNftExecutor({ library: missingLibrary, nft: echo });
    await expect(nft.run(['list', 'tables'])).resolves.toBe('args:list tables\n');
    rmSync(echo);
    const error = await nft.run(['list', 'tables']).catch((e: unknown) => e);
    // still the binary (now gone), not the 'neither' error a new choice would give
    expect((error as Error).message).toContain(`cannot run ${echo}`);
  });
});
