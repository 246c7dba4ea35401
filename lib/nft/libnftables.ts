// Running nft commands in-process through libnftables.so.1, the library the nft binary is a thin
// shell around: the same parser, the same netlink batch, the same output and error text, but no
// process per call. Each run gets its own context, made, used and freed inside one synchronous
// window in the target network namespace: nftables 1.0.6 opens its netfilter socket in
// nft_ctx_new (and an rtnetlink socket when a run resolves interfaces), so a context kept across
// runs would keep talking to the namespace it was made in.
//
// `-f -` input goes in as a file, as nft itself reads it (an anonymous memfd, by its
// /proc/self/fd path): given as a buffer, 1.0.6 quotes the buffer's first line under an error,
// whichever line failed, and names no line at all.
//
// The calls block the event loop while they run. The kernel applies a batch and answers a dump
// inside the send and receive calls, so that is milliseconds (test/e2e/nft-libnftables.test.ts
// measures it), and there is no peer process whose stall a timeout would have to cut short.
import { closeSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { type FfiLibrary, type FfiPointer, openLibrary } from '../libc/ffi.js';
import { AF_NETLINK, getLibc, type Libc, MFD_CLOEXEC, SOCK_CLOEXEC, SOCK_RAW } from '../libc/index.js';
import { inNetnsSync } from '../netns/enter.js';
import { NetnsError } from '../netns/errors.js';
import { openNetns } from '../netns/open.js';
import { NftError, nftFailure } from './errors.js';
import type { NftExecutor } from './executor.js';
import { describeNftRun, type NftInvocation, nftInvocation } from './invocation.js';

export const LIBNFTABLES = 'libnftables.so.1';
const NFT_CTX_DEFAULT = 0;
const NETLINK_ROUTE = 0;
const NETLINK_NETFILTER = 12;
/** What nft exits with on any failure; errors carry it, so both executors' errors look alike. */
const NFT_EXIT_FAILURE = 1;

const signatures = {
  nft_ctx_new: { args: ['u32'], returns: 'pointer' },
  nft_ctx_free: { args: ['pointer'], returns: 'void' },
  nft_ctx_buffer_output: { args: ['pointer'], returns: 'i32' },
  nft_ctx_buffer_error: { args: ['pointer'], returns: 'i32' },
  nft_ctx_output_set_flags: { args: ['pointer', 'u32'], returns: 'void' },
  // Its second parameter is a C bool, which an int 0 or 1 passes as on the ABIs we run on.
  nft_ctx_set_dry_run: { args: ['pointer', 'i32'], returns: 'void' },
  nft_run_cmd_from_buffer: { args: ['pointer', 'string'], returns: 'i32' },
  nft_run_cmd_from_filename: { args: ['pointer', 'string'], returns: 'i32' },
  nft_ctx_get_output_buffer: { args: ['pointer'], returns: 'string' },
  nft_ctx_get_error_buffer: { args: ['pointer'], returns: 'string' },
} as const;

export type Libnftables = FfiLibrary<typeof signatures>;

/** The libc calls a run needs: setns for the namespace window, socket and close for the probe, memfd for the input. */
export type RunLibc = Pick<Libc, 'setns' | 'socket' | 'close' | 'memfdCreate'>;

const bound = new Map<string, Libnftables>();

/** Bind `library` (a soname or a path), once per process; throws NftError('unavailable'). */
export function loadLibnftables(library = LIBNFTABLES): Libnftables {
  let lib = bound.get(library);
  if (lib) return lib;
  try {
    lib = openLibrary(library, signatures);
  } catch (e) {
    throw new NftError('unavailable', `cannot load ${library}`, (e as Error).message, null, { cause: e });
  }
  bound.set(library, lib);
  return lib;
}

export interface LibnftablesExecutorOptions {
  /** Run inside this network namespace (a path such as /run/netns/NAME). */
  netns?: string;
}

interface RunOutput {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * libnftables exits the whole process when it cannot open a netlink socket (fd limit, no
 * nfnetlink). Opening both kinds it may open, at once, first turns that into an error here
 * and leaves room for the library's own two.
 */
function probeNetlinkSockets(libc: RunLibc): void {
  const opened: number[] = [];
  try {
    for (const protocol of [NETLINK_NETFILTER, NETLINK_ROUTE]) opened.push(libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  } catch (e) {
    throw new NftError('failed', 'nft: cannot open a netlink socket', (e as Error).message, null, { cause: e });
  } finally {
    for (const fd of opened) libc.close(fd);
  }
}

/** Where nft -f - says its input came from; the memfd's path stands in for it. */
const NFT_STDIN = '/dev/stdin';

function withInputFile<T>(libc: RunLibc, content: string, fn: (path: string) => T): T {
  const fd = libc.memfdCreate('nft-input', MFD_CLOEXEC);
  try {
    writeFileSync(fd, content);
    return fn(`/proc/self/fd/${fd}`);
  } finally {
    closeSync(fd);
  }
}

/** Error locations name the input as nft -f - does (`/dev/stdin:2:19-22: Error: ...`). */
function asReadFromStdin(stderr: string, path: string): string {
  const prefix = `${path}:`;
  return stderr
    .split('\n')
    .map((line) => (line.startsWith(prefix) ? `${NFT_STDIN}:${line.slice(prefix.length)}` : line))
    .join('\n');
}

function runCommand(lib: Libnftables, ctx: FfiPointer, invocation: NftInvocation, inputPath: string | undefined): number {
  return inputPath === undefined ? lib.nft_run_cmd_from_buffer(ctx, invocation.command) : lib.nft_run_cmd_from_filename(ctx, inputPath);
}

function runInFreshContext(lib: Libnftables, invocation: NftInvocation, inputPath?: string): RunOutput {
  const ctx = lib.nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx === null) throw new NftError('failed', 'nft: libnftables could not create a context');
  try {
    if (lib.nft_ctx_buffer_output(ctx) !== 0 || lib.nft_ctx_buffer_error(ctx) !== 0) {
      throw new NftError('failed', 'nft: libnftables could not buffer its output');
    }
    lib.nft_ctx_output_set_flags(ctx, invocation.outputFlags);
    if (invocation.dryRun) lib.nft_ctx_set_dry_run(ctx, 1);
    const rc = runCommand(lib, ctx, invocation, inputPath);
    const stderr = lib.nft_ctx_get_error_buffer(ctx) ?? '';
    return {
      rc,
      stdout: lib.nft_ctx_get_output_buffer(ctx) ?? '',
      stderr: inputPath === undefined ? stderr : asReadFromStdin(stderr, inputPath),
    };
  } finally {
    lib.nft_ctx_free(ctx);
  }
}

function inNamespace<T>(libc: RunLibc, netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  try {
    const handle = openNetns(netns);
    try {
      return inNetnsSync(libc, handle, fn);
    } finally {
      handle.close();
    }
  } catch (e) {
    if (e instanceof NetnsError) throw new NftError('failed', `nft: ${e.message}`, e.details, null, { cause: e });
    throw e;
  }
}

export class LibnftablesExecutor implements NftExecutor {
  readonly #lib: Libnftables;
  readonly #netns: string | undefined;
  readonly #libc: () => RunLibc;

  /** `libc` is for tests; by default the process's libc, bound on the first run. */
  constructor(lib: Libnftables, options: LibnftablesExecutorOptions = {}, libc: () => RunLibc = getLibc) {
    this.#lib = lib;
    this.#netns = options.netns;
    this.#libc = libc;
  }

  run(args: readonly string[], stdin = ''): Promise<string> {
    try {
      return Promise.resolve(this.runSync(args, stdin));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** `run` without the promise: stdout, or a thrown NftError. */
  runSync(args: readonly string[], stdin = ''): string {
    if (this.#netns !== undefined && !isAbsolute(this.#netns)) {
      throw new NftError('failed', `nft executor: netns must be a path, got ${this.#netns}`);
    }
    const invocation = nftInvocation(args, stdin);
    const libc = this.#libc();
    const inNamespaceWith = (inputPath?: string) =>
      inNamespace(libc, this.#netns, () => {
        probeNetlinkSockets(libc);
        return runInFreshContext(this.#lib, invocation, inputPath);
      });
    const output = invocation.fromFile ? withInputFile(libc, invocation.command, inNamespaceWith) : inNamespaceWith();
    if (output.rc !== 0) throw nftFailure(describeNftRun(args), output.stderr, NFT_EXIT_FAILURE);
    return output.stdout;
  }
}
