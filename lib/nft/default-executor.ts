// The one place that decides how nft commands run: in-process through libnftables when the
// library loads, else the nft binary (found by absolute path), else every run fails with an
// 'unavailable' NftError that names both. The choice is made on the first run, so a plugin
// start that never touches nftables loads neither, and is kept for the executor's life.
import { findExecutable, SYSTEM_DIRECTORIES } from '../system/programs.js';
import { NftError } from './errors.js';
import { type NftExecutor, ProcessExecutor } from './executor.js';
import { LIBNFTABLES, LibnftablesExecutor, loadLibnftables } from './libnftables.js';

export interface DefaultNftExecutorOptions {
  /** Run inside this network namespace (a path such as /run/netns/NAME). */
  netns?: string;
  /** The library tried first (default libnftables.so.1). */
  library?: string;
  /** The binary to fall back to (default: found in the sbin directories, then PATH). */
  nft?: string;
  /** The binary's timeout; library calls have none (see lib/nft/libnftables.ts). */
  timeoutMs?: number;
}

function libraryExecutor(options: DefaultNftExecutorOptions): LibnftablesExecutor | NftError {
  try {
    const lib = loadLibnftables(options.library ?? LIBNFTABLES);
    return new LibnftablesExecutor(lib, { netns: options.netns });
  } catch (e) {
    return e instanceof NftError ? e : new NftError('unavailable', String(e), '', null, { cause: e });
  }
}

function unavailable(libraryProblem: NftError, options: DefaultNftExecutorOptions): NftExecutor {
  const library = options.library ?? LIBNFTABLES;
  const binary =
    options.nft === undefined ? `nft not found in ${SYSTEM_DIRECTORIES.join(', ')} or PATH` : `${options.nft} is not executable`;
  const error = new NftError(
    'unavailable',
    `nftables unavailable: neither ${library} nor the nft binary can be used`,
    `${libraryProblem.message}: ${libraryProblem.stderr}; ${binary}`,
    null,
    { cause: libraryProblem },
  );
  return { run: () => Promise.reject(error) };
}

/** The executor to use now: libnftables, else the nft binary, else one that always fails as 'unavailable'. */
export function chooseNftExecutor(options: DefaultNftExecutorOptions = {}): NftExecutor {
  const fromLibrary = libraryExecutor(options);
  if (!(fromLibrary instanceof NftError)) return fromLibrary;
  const nft = findExecutable(options.nft ?? 'nft');
  if (nft === undefined) return unavailable(fromLibrary, options);
  return new ProcessExecutor({ nft, netns: options.netns, timeoutMs: options.timeoutMs });
}

class DefaultNftExecutor implements NftExecutor {
  readonly #options: DefaultNftExecutorOptions;
  #chosen: NftExecutor | undefined;

  constructor(options: DefaultNftExecutorOptions) {
    this.#options = options;
  }

  run(args: readonly string[], stdin?: string): Promise<string> {
    this.#chosen ??= chooseNftExecutor(this.#options);
    return this.#chosen.run(args, stdin);
  }
}

/** What NftTable and nftAvailable use unless given an executor: chooseNftExecutor on the first run. */
export function defaultNftExecutor(options: DefaultNftExecutorOptions = {}): NftExecutor {
  return new DefaultNftExecutor(options);
}
