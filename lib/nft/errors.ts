// Failures of `nft` runs, classified from what nft prints on stderr, so callers can
// tell "already there" and "not there" from real failures without parsing text. What they
// mean to a runtime (a CNI code) is lib/cni/errors.ts's to say.
import { Failure } from '../system/failure.js';

/**
 * - `not-found`: an object or element the input names does not exist
 * - `exists`: `create` of something present, a map key with another value, an overlapping interval
 * - `syntax`: nft could not parse the input (a rendering bug, since every token is validated)
 * - `unavailable`: the nft binary cannot be started
 * - `timeout`: nft did not finish in time and was killed
 * - `failed`: anything else (no kernel support, permission, ...)
 */
export type NftReason = 'not-found' | 'exists' | 'syntax' | 'unavailable' | 'timeout' | 'failed';

declare module '../system/failure.js' {
  interface FailureReasons {
    nft: NftReason;
  }
}

export class NftError extends Failure<'nft', NftReason> {
  readonly stderr: string;
  readonly exitCode: number | null;

  constructor(reason: NftReason, msg: string, stderr = '', exitCode: number | null = null, options?: ErrorOptions) {
    super('nft', reason, msg, stderr.trim().slice(-2000), options);
    this.name = 'NftError';
    this.stderr = stderr;
    this.exitCode = exitCode;
  }
}

export function isNftError(e: unknown, reason?: NftReason): e is NftError {
  return e instanceof NftError && (reason === undefined || e.reason === reason);
}

/** nft refused: a table, chain, set, map or element the input names is not there. */
export function isNotFound(e: unknown): boolean {
  return isNftError(e, 'not-found');
}

/** nft refused: the object or element is there already (or a map key leads elsewhere, an interval overlaps). */
export function isExists(e: unknown): boolean {
  return isNftError(e, 'exists');
}

// nft 1.0.6 wording: kernel errors come as "Could not process rule: <strerror>",
// checks nft makes itself (interval sets) have their own sentences.
const reasonPatterns: readonly (readonly [NftReason, RegExp])[] = [
  ['not-found', /No such file or directory|element does not exist/],
  ['exists', /File exists|interval overlaps/],
  ['syntax', /syntax error/],
];

/** The first "Error: ..." message of nft's stderr, without its input location prefix. */
export function firstErrorMessage(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => /(^|: )Error: /.test(l));
  return line?.replace(/^.*?Error: /, '');
}

export function classifyNftError(stderr: string): NftReason {
  const message = firstErrorMessage(stderr) ?? stderr;
  return reasonPatterns.find(([, pattern]) => pattern.test(message))?.[0] ?? 'failed';
}

/** The error for a failed nft run, `what` saying what it was asked to do. */
export function nftFailure(what: string, stderr: string, exitCode: number | null): NftError {
  const message = firstErrorMessage(stderr) ?? (stderr.trim().split('\n')[0] || `exit code ${exitCode}`);
  return new NftError(classifyNftError(stderr), `nft ${what} failed: ${message}`, stderr, exitCode);
}
