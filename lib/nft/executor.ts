// Running the nft binary: one process per call, input on stdin, optionally inside a
// network namespace through an `nsenter --net=PATH --` prefix (tests; a plugin already
// runs in the namespace it manages). The fallback when libnftables cannot be loaded
// (lib/nft/default-executor.ts); node:child_process, not execa, for a plugin's start-up.
import { findExecutable, SYSTEM_DIRECTORIES } from '../system/programs.js';
import { isAbsolute } from 'node:path';
import { NftError, nftFailure } from './errors.js';
import { describeNftRun } from './invocation.js';
import { waitLimit } from '../system/budget.js';

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

export const DEFAULT_NFT_TIMEOUT_MS = 30_000;

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
    return runProcess(file, [...prefixArgs, ...args], stdin, waitLimit(this.#options.timeoutMs ?? DEFAULT_NFT_TIMEOUT_MS), describeNftRun(args));
  }
}

async function runProcess(file: string, args: string[], stdin: string, timeoutMs: number, what: string): Promise<string> {
  // Imported here: the fallback executor is on no plugin's start-up path when libnftables loads.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // nft may exit before reading all of its input
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new NftError('unavailable', `cannot run ${file}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) reject(new NftError('timeout', `nft ${what} timed out after ${timeoutMs} ms`, stderr, code));
      else if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(nftFailure(what, stderr, code));
    });
    child.stdin.end(stdin);
  });
}
