// CNI errors: one type that carries the spec's error code, so every failure a
// runtime sees is `{cniVersion, code, msg, details}` and never a stack trace.

/** Error codes from the CNI spec (SPEC.md "Error"), plus ours from 100 up. */
export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  PluginLimitedConnectivity: 51,
  // 100+ are reserved by the spec for plugins.
  Internal: 100,
  PluginTimeout: 101,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | number;

export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details: string;
}

export class CniError extends Error {
  readonly code: number;
  readonly details: string;

  constructor(code: ErrorCodeValue, msg: string, details = '') {
    super(msg);
    this.name = 'CniError';
    this.code = code;
    this.details = details;
  }

  toJSON(cniVersion: string): CniErrorJson {
    return { cniVersion, code: this.code, msg: this.message, details: this.details };
  }
}

export function isCniError(e: unknown, code?: number): e is CniError {
  return e instanceof CniError && (code === undefined || e.code === code);
}

/** Any thrown value as a CniError; unknown failures become code 100 with their message only. */
export function asCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new CniError(ErrorCode.Internal, msg || 'internal error');
}
