// Failures of `nft` runs, classified from what nft prints on stderr, so callers can
// tell "already there" and "not there" from real failures without parsing text.
import { CniError, ErrorCode } from '../cni/errors.js';

/**
 * - `not-found`: an object or element the input names does not exist
 * - `exists`: `create` of something present, a map key with another value, an overlapping interval
 * - `syntax`: nft could not parse the input (a rendering bug, since every token is validated)
 * - `unavailable`: the nft binary cannot be started
 * - `timeout`: nft did not finish in time and was killed
 * - `failed`: anything else (no kernel support, permission, ...)
 */
export type NftErrorKind = 'not-found' | 'exists' | 'syntax' | 'unavailable' | 'timeout' | 'failed';

export class NftError extends CniError {
  readonly kind: NftErrorKind;
  readonly stderr: string;
  readonly exitCode: number | null;

  constructor(kind: NftErrorKind, msg: string, stderr = '', exitCode: number | null = null) {
    const code = kind === 'unavailable' ? ErrorCode.PluginNotAvailable : ErrorCode.Internal;
    super(code, msg, stderr.trim().slice(-2000));
    this.name = 'NftError';
    this.kind = kind;
    this.stderr = stderr;
    this.exitCode = exitCode;
  }
}

export function isNftError(e: unknown, kind?: NftErrorKind): e is NftError {
  return e instanceof NftError && (kind === undefined || e.kind === kind);
}

export function isNotFound(e: unknown): boolean {
  return isNftError(e, 'not-found');
}

export function isExists(e: unknown): boolean {
  return isNftError(e, 'exists');
}

// nft 1.0.6 wording: kernel errors come as "Could not process rule: <strerror>",
// checks nft makes itself (interval sets) have their own sentences.
const kindPatterns: readonly (readonly [NftErrorKind, RegExp])[] = [
  ['not-found', /No such file or directory|element does not exist/],
  ['exists', /File exists|interval overlaps/],
  ['syntax', /syntax error/],
];

/** The first "Error: ..." message of nft's stderr, without its input location prefix. */
export function firstErrorMessage(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => /(^|: )Error: /.test(l));
  return line?.replace(/^.*?Error: /, '');
}

export function classifyNftError(stderr: string): NftErrorKind {
  const message = firstErrorMessage(stderr) ?? stderr;
  return kindPatterns.find(([, pattern]) => pattern.test(message))?.[0] ?? 'failed';
}

/** The error for a failed nft run, `what` saying what it was asked to do. */
export function nftFailure(what: string, stderr: string, exitCode: number | null): NftError {
  const message = firstErrorMessage(stderr) ?? (stderr.trim().split('\n')[0] || `exit code ${exitCode}`);
  return new NftError(classifyNftError(stderr), `nft ${what} failed: ${message}`, stderr, exitCode);
}
