// Picking an address from a range set, in host-local's order: round-robin from the address
// after last_reserved_ip.<set index>, through the set's ranges in turn, skipping gateways,
// back to where it started. Free addresses are known from one directory read, so a nearly
// full range costs one pass over a set of numbers, and a full one is known without a pass.
import { CniError, ErrorCode } from '../cni/errors.js';
import type { Attachment, IPConfig } from '../cni/types.js';
import { type Address, formatAddress, offset, sameAddress } from '../ip/index.js';
import { allocatableCount, formatRangeSet, isAllocatable, rangeContains, rangeFor, type RangeSet } from './range.js';
import { type Allocation, allocationsOf, readLastReserved, reserve } from './store.js';

export interface AllocateRequest {
  dir: string;
  set: RangeSet;
  /** Index of the set among the config's range sets (names its last_reserved_ip file). */
  index: number;
  owner: Attachment;
  requested?: Address;
  /** Every allocation in the store, read under the lock. */
  existing: readonly Allocation[];
}

/** Reserve one address of the set for the owner. The caller holds the store lock. */
export function allocate(request: AllocateRequest): Address {
  refuseDuplicate(request);
  if (request.requested) return reserveRequested(request, request.requested);
  return reserveNextFree(request);
}

function refuseDuplicate({ set, owner, existing }: AllocateRequest): void {
  const held = allocationsOf(existing, owner).find((a) => rangeFor(set, a.address) !== undefined);
  if (held) {
    throw new CniError(
      ErrorCode.AlreadyAllocated,
      `${formatAddress(held.address)} is already allocated to ${owner.containerId}/${owner.ifname}: duplicate allocation is not allowed`,
      'DEL the attachment before adding it again',
    );
  }
}

function reserveRequested(request: AllocateRequest, address: Address): Address {
  const range = rangeFor(request.set, address);
  if (range && sameAddress(address, range.gateway)) {
    throw new CniError(ErrorCode.AddressUnavailable, `requested IP ${formatAddress(address)} is the gateway of its subnet`);
  }
  if (!reserve(request.dir, address, request.owner, request.index)) {
    throw new CniError(
      ErrorCode.AddressUnavailable,
      `requested IP ${formatAddress(address)} is not available in range set ${formatRangeSet(request.set)}`,
      'another attachment holds it',
    );
  }
  return address;
}

function reserveNextFree(request: AllocateRequest): Address {
  const { set, existing } = request;
  const taken = new Set(existing.filter((a) => isAllocatable(set, a.address)).map((a) => a.address.value));
  if (BigInt(taken.size) < allocatableCount(set)) {
    const last = readLastReserved(request.dir, request.index);
    for (const candidate of roundRobin(set, last)) {
      if (taken.has(candidate.value)) continue;
      if (reserve(request.dir, candidate, request.owner, request.index)) return candidate;
      taken.add(candidate.value);
    }
  }
  throw new CniError(
    ErrorCode.RangeExhausted,
    `no IP addresses available in range set ${formatRangeSet(set)}`,
    `all ${allocatableCount(set)} addresses are allocated`,
  );
}

/** host-local's RangeIter: every allocatable address once, starting after `last` when it lies in the set. */
export function* roundRobin(set: RangeSet, last: Address | undefined): Generator<Address> {
  const lastIndex = last ? set.findIndex((r) => rangeContains(r, last)) : -1;
  let index = Math.max(lastIndex, 0);
  let current = lastIndex >= 0 ? last : undefined;
  let first: Address | undefined;
  for (;;) {
    let range = set[index]!;
    if (current === undefined) {
      current = range.start;
      first = current;
    } else {
      if (sameAddress(current, range.end)) {
        index = (index + 1) % set.length;
        range = set[index]!;
        current = range.start;
      } else {
        current = offset(current, 1n);
      }
      if (first === undefined) first = current;
      else if (sameAddress(current, first)) return;
    }
    if (!sameAddress(current, range.gateway)) yield current;
  }
}

/** The result entry for an address of the set: CIDR with the subnet's prefix, and its gateway. */
export function ipConfigFor(set: RangeSet, address: Address): IPConfig {
  const range = rangeFor(set, address)!;
  return { address: `${formatAddress(address)}/${range.subnet.prefix}`, gateway: formatAddress(range.gateway) };
}
