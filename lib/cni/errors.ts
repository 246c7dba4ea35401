// CNI errors and the one registry of their codes. Every failure a runtime sees is
// `{cniVersion, code, msg, details}`, never a stack trace. Codes below 100 are the spec's; the
// spec leaves 100 and up to plugins, and ErrorCode below is the only place ours are defined
// (docs/errors.md documents each one, test/docs/errors.test.ts keeps the two in step).
//
// Low layers (nft, rtnetlink, namespaces, conntrack, D-Bus, programs) do not know these codes:
// they raise a Failure (lib/system/failure.ts) with a `reason`, and `codeByReason` below says
// once what each (layer, reason) is to a runtime. `asCniError`, which the dispatcher applies to
// whatever a handler throws, looks it up there.
import { Failure, type FailureLayer, type FailureReasons } from '../system/failure.js';

/** Every code we answer with: the spec's (SPEC.md "Error") and ours, 100-139, in blocks by owner. */
export const ErrorCode = {
  // The CNI specification's.
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
  // 100-109: any of our plugins.
  Internal: 100,
  PluginTimeout: 101,
  // 110-119: IPAM (lib/ipam).
  /** No free address left in a range set. */
  RangeExhausted: 110,
  /** A requested address is held by another attachment, or is the gateway. */
  AddressUnavailable: 111,
  /** ADD for an attachment that already holds an address in the range set (host-local refuses it too). */
  AlreadyAllocated: 112,
  /** CHECK: the store holds no address for the attachment. */
  NotAllocated: 113,
  /** CHECK: the store and prevResult disagree. */
  AllocationMismatch: 114,
  // 120-129: the zone plugin (lib/zone).
  /** `vz-<zone>` exists but is not a bridge. */
  BridgeConflict: 120,
  /** CNI_IFNAME already exists in the container's namespace. */
  InterfaceExists: 121,
  /** CHECK found the attachment different from what ADD made. */
  ZoneCheckFailed: 122,
  // 130-139: port publishing (lib/ports).
  /** A host port (protocol, port, hostIP) is already published by another attachment. */
  PortConflict: 130,
  /** CHECK found a mapping missing or pointing elsewhere. */
  PortsCheckFailed: 131,
} as const;

/** Who owns which codes from 100 up: a new code goes into its owner's block. */
export const ErrorCodeBlocks = {
  plugins: [100, 109],
  ipam: [110, 119],
  zone: [120, 129],
  ports: [130, 139],
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | number;

const { InvalidEnvironment, IoFailure, InvalidNetworkConfig, TryAgainLater, PluginNotAvailable, Internal, PluginTimeout, PortConflict } =
  ErrorCode;

/**
 * The code of each reason of each low layer. A layer that adds a reason (or a layer that joins
 * FailureReasons) does not compile until it has a row here.
 */
export const codeByReason: { readonly [L in FailureLayer]: Readonly<Record<FailureReasons[L], ErrorCodeValue>> } = {
  nft: {
    'not-found': Internal,
    exists: Internal,
    syntax: Internal,
    unavailable: PluginNotAvailable,
    timeout: Internal,
    failed: Internal,
  },
  rtnl: {
    exists: Internal,
    'not-found': Internal,
    busy: TryAgainLater,
    timeout: PluginTimeout,
    incomplete: Internal,
    malformed: Internal,
    'invalid-argument': InvalidNetworkConfig,
    failed: Internal,
  },
  netns: {
    'not-found': InvalidEnvironment,
    'not-netns': InvalidEnvironment,
    'host-netns': InvalidEnvironment,
    'enter-failed': IoFailure,
    'invalid-name': InvalidNetworkConfig,
    exists: Internal,
    'command-failed': Internal,
    'sysctl-missing': IoFailure,
    'sysctl-failed': IoFailure,
  },
  conntrack: {
    'not-found': Internal,
    timeout: Internal,
    failed: Internal,
  },
  dbus: {
    timeout: TryAgainLater,
    unreachable: TryAgainLater,
    failed: Internal,
  },
  process: {
    'not-found': PluginNotAvailable,
    'spawn-failed': PluginNotAvailable,
    timeout: PluginTimeout,
    failed: Internal,
  },
  proxy: {
    'in-use': PortConflict,
    unavailable: PluginNotAvailable,
    'start-failed': Internal,
  },
};

export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details: string;
}

export class CniError extends Error {
  readonly code: number;
  readonly details: string;

  constructor(code: ErrorCodeValue, msg: string, details = '', options?: ErrorOptions) {
    super(msg, options);
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

/** The code a low layer's failure means to a runtime (100 for a reason the table does not know). */
function codeOfFailure(failure: Failure): ErrorCodeValue {
  const codes: Readonly<Record<string, ErrorCodeValue>> | undefined = codeByReason[failure.layer];
  return codes?.[failure.reason] ?? Internal;
}

/**
 * Any thrown value as a CniError: a CniError as it is, a low layer's Failure with the code of
 * its reason (and itself as the cause), anything else as code 100 with its message only.
 */
export function asCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof Failure) return new CniError(codeOfFailure(e), e.message, e.details, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new CniError(Internal, msg || 'internal error');
}
