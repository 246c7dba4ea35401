// Running the nft binary: one process per call, input on stdin, optionally inside a
// network namespace through an `nsenter --net=PATH --` prefix (tests; a plugin already
// runs in the namespace it manages). The fallback when libnftables cannot be loaded
// (lib/nft/default-executor.ts). The process is lib/system/process.ts's; here its outcome
// becomes an NftError: unavailable, timeout, or what nft said on stderr.
import { findExecutable, SYSTEM_DIRECTORIES } from '../system/programs.js';
import { isAbsolute } from 'node:path';
import { NftError, nftFailure } from './errors.js';
import { describeNftRun } from './invocation.js';
import { waitLimit } from '../system/budget.js';
import { type ProcessResult, runProcess } from '../system/process.js';

/** Runs `nft ARGS` with `stdin`; resolves with stdout, rejects with an NftError. */
export interface NftExecutor {
  run(args: readonly string[], stdin?: string): Promise<string>;
}

export interface ProcessExecutorOptions {
  /** Path of the nft binary (default: found in the sbin directories, then PATH). */
  nft?: string;
  /** Run nft inside this network namespace (a path such as /run/netns/NAME), via nsenter. */
  netns?: string;
  /** Any other command prefix (e.g. ['ip', 'netns', 'exec', 'NAME']); not together with netns. */
  prefix?: readonly string[];
  timeoutMs?: number;
}

const DEFAULT_NFT_TIMEOUT_MS = 30_000;

function commandLine(options: ProcessExecutorOptions): string[] {
  const nft = options.nft ?? findExecutable('nft');
  if (nft === undefined) throw new NftError('unavailable', 'nft not found', `looked in ${SYSTEM_DIRECTORIES.join(', ')} and PATH`);
  if (options.netns !== undefined && options.prefix !== undefined) {
    throw new NftError('failed', 'nft executor: give netns or prefix, not both');
  }
  if (options.netns !== undefined) {
    if (!isAbsolute(options.netns)) throw new NftError('failed', `nft executor: netns must be a path, got ${options.netns}`);
    return [findExecutable('nsenter') ?? 'nsenter', `--net=${options.netns}`, '--', nft];
  }
  return [...(options.prefix ?? []), nft];
}

export class ProcessExecutor implements NftExecutor {
  readonly #options: ProcessExecutorOptions;
  #command: string[] | undefined;

  constructor(options: ProcessExecutorOptions = {}) {
    this.#options = options;
  }

  run(args: readonly string[], stdin = ''): Promise<string> {
    let command: string[];
    try {
      this.#command ??= commandLine(this.#options);
      command = this.#command;
    } catch (e) {
      return Promise.reject(e);
    }
    const [file, ...prefixArgs] = command as [string, ...string[]];
    return runNft(
      file,
      [...prefixArgs, ...args],
      stdin,
      waitLimit(this.#options.timeoutMs ?? DEFAULT_NFT_TIMEOUT_MS),
      describeNftRun(args),
    );
  }
}

async function runNft(file: string, args: string[], stdin: string, timeoutMs: number, what: string): Promise<string> {
  let run: ProcessResult;
  try {
    run = await runProcess(file, args, { stdin, timeoutMs });
  } catch (e) {
    throw new NftError('unavailable', (e as Error).message, '', null, { cause: e });
  }
  const exitCode = run.exitCode ?? null;
  if (run.timedOut) throw new NftError('timeout', `nft ${what} timed out after ${timeoutMs} ms`, run.stderr, exitCode);
  if (exitCode === 0) return run.stdout;
  throw nftFailure(what, run.stderr, exitCode);
}
