// What an `nft ARGS` command line asks for, in the terms libnftables takes: an input file (`-f -`)
// or command words, the output flags and dry-run. Only the options this project passes are
// understood (-c, -j, -t and `-f -`); anything else is refused rather than guessed, because a
// silently dropped option would change what nft does.
import { NftError } from './errors.js';

// enum values of nftables' libnftables.h (1.0.6)
export const NFT_CTX_OUTPUT_JSON = 1 << 4;
export const NFT_CTX_OUTPUT_TERSE = 1 << 11;

export interface NftInvocation {
  /** `-f -`: `command` is an input file's content (nft runs it with nft_run_cmd_from_filename). */
  readonly fromFile: boolean;
  /** The `-f -` input, or the command words joined by spaces as nft joins them for nft_run_cmd_from_buffer. */
  readonly command: string;
  /** nft_ctx_output_set_flags. */
  readonly outputFlags: number;
  /** `-c`: nft_ctx_set_dry_run. */
  readonly dryRun: boolean;
}

const outputFlagOf: Readonly<Record<string, number>> = {
  '-j': NFT_CTX_OUTPUT_JSON,
  '--json': NFT_CTX_OUTPUT_JSON,
  '-t': NFT_CTX_OUTPUT_TERSE,
  '--terse': NFT_CTX_OUTPUT_TERSE,
};

const dryRunOptions = new Set(['-c', '--check']);
const fileOptions = new Set(['-f', '--file']);

/** How error messages name a run, for the process and the library alike. */
export function describeNftRun(args: readonly string[]): string {
  return args[0] === '-f' || args[1] === '-f' ? 'transaction' : args.join(' ');
}

function unsupported(what: string): NftError {
  return new NftError('failed', `nft arguments not supported in-process: ${what}`);
}

/** Map `nft ARGS` (with `stdin` for `-f -`) onto libnftables; throws NftError('failed') for what it cannot map. */
export function nftInvocation(args: readonly string[], stdin = ''): NftInvocation {
  let outputFlags = 0;
  let dryRun = false;
  let readsStdin = false;
  let i = 0;
  for (; i < args.length && (args[i] as string).startsWith('-'); i++) {
    const option = args[i] as string;
    if (option in outputFlagOf) outputFlags |= outputFlagOf[option] as number;
    else if (dryRunOptions.has(option)) dryRun = true;
    else if (fileOptions.has(option) && args[i + 1] === '-') {
      readsStdin = true;
      i++;
    } else throw unsupported(fileOptions.has(option) ? `${option} ${args[i + 1] ?? ''}`.trim() : option);
  }
  const words = args.slice(i);
  if (readsStdin && words.length > 0) throw unsupported(`-f - together with a command (${words.join(' ')})`);
  if (!readsStdin && words.length === 0) throw unsupported('no command');
  return { fromFile: readsStdin, command: readsStdin ? stdin : words.join(' '), outputFlags, dryRun };
}
