// One time budget per plugin call. A runtime gives a CNI call a fixed time (kubelet: two
// minutes for a whole chain) and kills what overstays, which leaves what a SIGKILL leaves.
// Separate timeouts per step (a lock, systemd-networkd, nft, netlink, a delegated plugin)
// would add up past that; instead every wait asks how long it may take, and the answer is
// bounded by what is left of the call's budget. Part of the budget is held back for undoing
// a failed ADD, so the undo still has time when a forward step used up its share.
// The dispatcher starts the budget once the configuration is parsed; outside a plugin call
// (zonectl, tests) nothing is started and every wait keeps its own cap.

export const DEFAULT_BUDGET_MS = 55_000;
const RESERVE_SHARE = 0.2;
const MAX_RESERVE_MS = 10_000;
// Waits end this much before the budget does, so a call that waited in vain still answers
// with the reason (the lock it could not get) rather than with the budget's own error.
const ANSWER_SHARE = 0.05;
const MAX_ANSWER_MS = 1_000;

let endsAt = Number.POSITIVE_INFINITY;
let reserveMs = 0;
let undoing = false;

export function startBudget(ms: number): void {
  endsAt = Date.now() + ms - Math.min(MAX_ANSWER_MS, ms * ANSWER_SHARE);
  reserveMs = Math.min(MAX_RESERVE_MS, ms * RESERVE_SHARE);
  undoing = false;
}

export function endBudget(): void {
  endsAt = Number.POSITIVE_INFINITY;
  reserveMs = 0;
  undoing = false;
}

/** From now on waits may use the reserve: the call is undoing what it did. */
export function spendReserve(): void {
  undoing = true;
}

/** How long a wait capped at `capMs` may take now; 0 when the budget is spent. */
export function waitLimit(capMs: number): number {
  const until = undoing ? endsAt : endsAt - reserveMs;
  return Math.max(0, Math.min(capMs, until - Date.now()));
}

// A netlink socket's receive timeout is set once, when it opens, and 0 would mean no timeout
// at all; the kernel answers within microseconds, so a short floor costs nothing.
const MIN_SOCKET_TIMEOUT_MS = 100;

/** waitLimit for a socket's SO_RCVTIMEO: never 0. */
export function socketTimeout(capMs: number): number {
  return Math.max(MIN_SOCKET_TIMEOUT_MS, waitLimit(capMs));
}
