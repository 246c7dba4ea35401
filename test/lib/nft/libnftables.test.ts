import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asCniError, ErrorCode } from '../../../lib/cni/errors.js';
import type { FfiPointer } from '../../../lib/libc/ffi.js';
import { getLibc, LibcError } from '../../../lib/libc/index.js';
import { isExists, isNftError, isNotFound, type NftError, nftFailure } from '../../../lib/nft/errors.js';
import { NFT_CTX_OUTPUT_JSON } from '../../../lib/nft/invocation.js';
import { type Libnftables, LibnftablesExecutor, loadLibnftables, type RunLibc } from '../../../lib/nft/libnftables.js';

// A stand-in for libnftables.so.1 (no kernel in unit tests): it records the calls made on each
// context (for an input file, its path and what it held) and answers with what the test scripts.
interface Answer {
  rc: number;
  stdout?: string;
  stderr?: string;
}

interface FakeContext {
  id: number;
  flags: number;
  dryRun: boolean;
  commands: string[];
  files: string[];
  freed: boolean;
  stdout: string;
  stderr: string;
}

function fakeLibnftables(answer: (command: string, file?: string) => Answer, overrides: Partial<Libnftables> = {}) {
  const contexts: FakeContext[] = [];
  const of = (pointer: FfiPointer) => pointer as unknown as FakeContext;
  const lib: Libnftables = {
    nft_ctx_new: () => {
      const ctx: FakeContext = {
        id: contexts.length,
        flags: 0,
        dryRun: false,
        commands: [],
        files: [],
        freed: false,
        stdout: '',
        stderr: '',
      };
      contexts.push(ctx);
      return ctx as unknown as FfiPointer;
    },
    nft_ctx_free: (ctx) => void (of(ctx).freed = true),
    nft_ctx_buffer_output: () => 0,
    nft_ctx_buffer_error: () => 0,
    nft_ctx_output_set_flags: (ctx, flags) => void (of(ctx).flags = flags),
    nft_ctx_set_dry_run: (ctx, dry) => void (of(ctx).dryRun = dry === 1),
    nft_run_cmd_from_buffer: (ctx, command) => {
      const reply = answer(command);
      Object.assign(of(ctx), { stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' });
      of(ctx).commands.push(command);
      return reply.rc;
    },
    nft_run_cmd_from_filename: (ctx, file) => {
      const content = readFileSync(file, 'utf8');
      const reply = answer(content, file);
      Object.assign(of(ctx), { stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' });
      of(ctx).commands.push(content);
      of(ctx).files.push(file);
      return reply.rc;
    },
    nft_ctx_get_output_buffer: (ctx) => of(ctx).stdout,
    nft_ctx_get_error_buffer: (ctx) => of(ctx).stderr,
    ...overrides,
  };
  return { lib, contexts };
}

/** libc for the netlink probe (socket numbers from 100, or a failure on the nth socket); a real memfd. */
function fakeLibc(failOnSocket?: number) {
  const open = new Set<number>();
  let next = 100;
  const libc: RunLibc = {
    setns: () => {
      throw new Error('no namespace switch expected in unit tests');
    },
    socket: () => {
      if (next - 100 + 1 === failOnSocket) throw new LibcError('socket', 24);
      open.add(next);
      return next++;
    },
    close: (fd) => void open.delete(fd),
    memfdCreate: (name, flags) => getLibc().memfdCreate(name, flags),
  };
  return { libc, open };
}

function executor(lib: Libnftables, libc = fakeLibc().libc, netns?: string) {
  return new LibnftablesExecutor(lib, netns === undefined ? {} : { netns }, () => libc);
}

// What libnftables 1.0.6 writes into its error buffer (captured on this machine): nft's stderr
// text, with the input file's path where nft -f - says /dev/stdin.
const missingTable = ':2:19-22: Error: Could not process rule: No such file or directory\ndelete table inet nope\n                  ^^^^\n';
const existingTable = ':1:19-19: Error: Could not process rule: File exists\ncreate table inet t\n                  ^\n';
const syntax = ':1:8-8: Error: syntax error, unexpected newline, expecting string\nadd foo\n       ^\n';
const fromFile = (located: string) => (_command: string, file?: string) => ({ rc: -1, stderr: `${file}${located}` });

describe('LibnftablesExecutor', () => {
  it('runs each call in a fresh context with the mapped command and flags, and frees it', async () => {
    const { lib, contexts } = fakeLibnftables((command) => ({ rc: 0, stdout: command.startsWith('list') ? '{"nftables": []}\n' : '' }));
    const nft = executor(lib);
    await expect(nft.run(['-f', '-'], 'add table inet t\n')).resolves.toBe('');
    await expect(nft.run(['-c', '-f', '-'], 'add table inet u\n')).resolves.toBe('');
    await expect(nft.run(['-j', 'list', 'table', 'inet', 't'])).resolves.toBe('{"nftables": []}\n');
    expect(contexts).toEqual([
      expect.objectContaining({
        commands: ['add table inet t\n'],
        files: [expect.stringMatching(/^\/proc\/self\/fd\/\d+$/)],
        flags: 0,
        dryRun: false,
        freed: true,
      }),
      expect.objectContaining({ commands: ['add table inet u\n'], files: [expect.any(String)], flags: 0, dryRun: true, freed: true }),
      expect.objectContaining({ commands: ['list table inet t'], files: [], flags: NFT_CTX_OUTPUT_JSON, dryRun: false, freed: true }),
    ]);
  });

  it('closes the input file after the run', async () => {
    const { lib, contexts } = fakeLibnftables(() => ({ rc: 0 }));
    await executor(lib).run(['-f', '-'], 'add table inet t\n');
    expect(existsSync(contexts[0]?.files[0] as string)).toBe(false);
  });

  it.each([
    ['not-found', missingTable, 'nft transaction failed: Could not process rule: No such file or directory'],
    ['exists', existingTable, 'nft transaction failed: Could not process rule: File exists'],
    ['syntax', syntax, 'nft transaction failed: syntax error, unexpected newline, expecting string'],
  ])('turns a failed transaction into the NftError nft -f - gives (%s), with its stderr text', async (reason, located, message) => {
    const { lib, contexts } = fakeLibnftables(fromFile(located));
    const error = (await executor(lib)
      .run(['-f', '-'], 'x\n')
      .catch((e: unknown) => e)) as NftError;
    const fromBinary = nftFailure('transaction', `/dev/stdin${located}`, 1);
    expect(isNftError(error, reason as NftError['reason'])).toBe(true);
    expect(error).toMatchObject({
      reason: fromBinary.reason,
      message,
      stderr: fromBinary.stderr,
      details: fromBinary.details,
      exitCode: 1,
    });
    expect(asCniError(error).code).toBe(ErrorCode.Internal);
    expect(contexts[0]?.freed).toBe(true);
  });

  it('turns a failed command into the NftError nft gives', async () => {
    const stderr = 'Error: No such file or directory\nlist table inet nope\n                ^^^^\n';
    const { lib } = fakeLibnftables(() => ({ rc: -1, stderr }));
    const error = await executor(lib)
      .run(['-j', 'list', 'table', 'inet', 'nope'])
      .catch((e: unknown) => e);
    expect(isNotFound(error)).toBe(true);
    expect(error).toMatchObject({ message: 'nft -j list table inet nope failed: No such file or directory', stderr, exitCode: 1 });
  });

  it('frees the context when a call into the library throws', async () => {
    const { lib, contexts } = fakeLibnftables(() => {
      throw new Error('boom');
    });
    await expect(executor(lib).run(['list', 'tables'])).rejects.toThrow('boom');
    expect(contexts).toEqual([expect.objectContaining({ freed: true })]);
  });

  it('fails without running when the output cannot be buffered, and still frees the context', async () => {
    const { lib, contexts } = fakeLibnftables(() => ({ rc: 0 }), { nft_ctx_buffer_error: () => 1 });
    const error = await executor(lib)
      .run(['list', 'tables'])
      .catch((e: unknown) => e);
    expect(isNftError(error, 'failed')).toBe(true);
    expect(contexts).toEqual([expect.objectContaining({ commands: [], freed: true })]);
  });

  it('reports a context the library could not create', async () => {
    const { lib } = fakeLibnftables(() => ({ rc: 0 }), { nft_ctx_new: () => null });
    await expect(executor(lib).run(['list', 'tables'])).rejects.toThrow('could not create a context');
  });

  it('refuses to call the library when it could not open its netlink sockets (it would exit the process)', async () => {
    const { lib, contexts } = fakeLibnftables(() => ({ rc: 0 }));
    const probe = fakeLibc(2);
    const error = (await executor(lib, probe.libc)
      .run(['list', 'tables'])
      .catch((e: unknown) => e)) as NftError;
    expect(isNftError(error, 'failed')).toBe(true);
    expect(error.message).toBe('nft: cannot open a netlink socket');
    expect(contexts).toEqual([]);
    expect(probe.open.size).toBe(0);
  });

  it('closes its probe sockets after every run', async () => {
    const { lib } = fakeLibnftables(() => ({ rc: 0 }));
    const probe = fakeLibc();
    await executor(lib, probe.libc).run(['list', 'tables']);
    await executor(lib, probe.libc)
      .run(['list', 'tables'])
      .catch(() => undefined);
    expect(probe.open.size).toBe(0);
  });

  it('rejects arguments it cannot map without touching the library', async () => {
    const { lib, contexts } = fakeLibnftables(() => ({ rc: 0 }));
    await expect(executor(lib).run(['-a', 'list', 'tables'])).rejects.toThrow('not supported in-process: -a');
    expect(contexts).toEqual([]);
  });

  it('refuses a relative netns and reports a missing one as a failure, not as a missing object', async () => {
    const { lib, contexts } = fakeLibnftables(() => ({ rc: 0 }));
    await expect(executor(lib, undefined, 'czt-x').run(['list', 'tables'])).rejects.toThrow('netns must be a path');
    const missing = await executor(lib, undefined, '/run/netns/czt-does-not-exist')
      .run(['list', 'tables'])
      .catch((e: unknown) => e);
    expect(isNftError(missing, 'failed')).toBe(true);
    expect(isExists(missing) || isNotFound(missing)).toBe(false);
    expect((missing as Error).message).toBe('nft: network namespace /run/netns/czt-does-not-exist does not exist');
    expect(contexts).toEqual([]);
  });

  // Running inside a namespace, and the real library, are exercised by test/e2e/nft-libnftables.test.ts.
});

describe('loadLibnftables', () => {
  it('reports a library that cannot be loaded as unavailable (code 50)', () => {
    let thrown: unknown;
    try {
      loadLibnftables('/nonexistent/libnftables.so.1');
    } catch (e) {
      thrown = e;
    }
    expect(isNftError(thrown, 'unavailable')).toBe(true);
    expect(thrown).toMatchObject({ message: 'cannot load /nonexistent/libnftables.so.1' });
    expect(asCniError(thrown).code).toBe(ErrorCode.PluginNotAvailable);
  });
});
