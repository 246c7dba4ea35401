// The shape of every failure a low layer raises (nft, rtnetlink, namespaces, conntrack, D-Bus,
// programs): what went wrong as one `reason` from a small set the layer owns, a message, the
// details (the system's own words), and the `cause` it came from. A low layer says what
// happened, never what the runtime should be told: the CNI code for each (layer, reason) is
// looked up in the one table of lib/cni/errors.ts when a failure leaves a plugin.
//
// Each layer adds its reason set to `FailureReasons` (a declaration merge, see lib/nft/errors.ts),
// so that table has to name a code for every reason of every layer, or it does not compile.

/** Reason sets by layer: `{ nft: NftReason; rtnl: RtnlReason; ... }`, merged in by each layer. */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each layer
export interface FailureReasons {}

export type FailureLayer = keyof FailureReasons & string;

export class Failure<L extends FailureLayer = FailureLayer, R extends string = FailureReasons[L] & string> extends Error {
  constructor(
    /** The layer that failed: a key of FailureReasons. */
    readonly layer: L,
    /** What went wrong, from the layer's own small set. */
    readonly reason: R,
    message: string,
    /** The system's own words (stderr, an extended ack, an errno message), for the runtime's `details`. */
    readonly details = '',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'Failure';
  }
}
