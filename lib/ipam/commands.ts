// The IPAM commands on a parsed request, for the zone-ipam executable and for plugins that
// run IPAM in-process (zone): ADD reserves one address per range set under the store lock,
// DEL releases an attachment's addresses, CHECK compares the store with prevResult, GC
// releases whatever the runtime no longer lists, STATUS tells whether ADD can work.
import type { GcRequest, Request } from '../cni/dispatch.js';
import { CniError, ErrorCode, isCniError } from '../cni/errors.js';
import type { Attachment, IPConfig, Result } from '../cni/types.js';
import { CURRENT_VERSION } from '../cni/version.js';
import { withFileLock } from '../libc/lock.js';
import { type Address, formatAddress, parseCidr, sameAddress } from '../ip/index.js';
import { allocate, ipConfigFor } from './allocator.js';
import { type IpamConfig, type IpamStoreConfig, loadIpamConfig, loadStoreConfig } from './config.js';
import { readResolvConf } from './dns.js';
import { allocatableCount, formatRangeSet, isAllocatable, rangeFor, type RangeSet } from './range.js';
import {
  type Allocation,
  allocationsOf,
  collectOrphanBootRecords,
  collectStaleTempFiles,
  ensureStoreDir,
  lockPath,
  probeWritable,
  readAllocations,
  release,
  storeExists,
} from './store.js';

function ownerOf(req: Request): Attachment {
  return { network: req.conf.name, containerId: req.env.containerId, ifname: req.env.ifname };
}

/** ADD: one address from each range set, or none at all. The result has no `interfaces` and no `ips[].interface`. */
export async function ipamAdd(req: Request, config: IpamConfig = loadIpamConfig(req.conf, req.env.args)): Promise<Result> {
  const dns = config.resolvConf ? readResolvConf(config.resolvConf) : undefined;
  ensureStoreDir(config.dir);
  const ips = await withStoreLock(config.dir, () => {
    collectStaleTempFiles(config.dir);
    return allocateAll(config, ownerOf(req));
  });
  const result: Result = { cniVersion: CURRENT_VERSION, ips };
  if (config.routes.length > 0) result.routes = config.routes.map((r) => ({ ...r }));
  if (dns && Object.keys(dns).length > 0) result.dns = dns;
  return result;
}

function allocateAll(config: IpamConfig, owner: Attachment): IPConfig[] {
  const existing = readAllocations(config.dir);
  const reserved: Address[] = [];
  try {
    for (const [index, set] of config.rangeSets.entries()) {
      const requested = config.requested[index];
      reserved.push(allocate({ dir: config.dir, set, index, owner, existing, ...(requested && { requested }) }));
    }
  } catch (e) {
    // Undo only this call's reservations: earlier ones of the same owner are not ours to drop.
    releaseQuietly(config.dir, reserved);
    throw e;
  }
  return reserved.map((address, index) => ipConfigFor(config.rangeSets[index]!, address));
}

function releaseQuietly(dir: string, addresses: Address[]): void {
  try {
    release(dir, addresses);
  } catch {
    // the original failure is what the runtime needs to see
  }
}

/** DEL: release every address of the attachment; nothing allocated, or no store at all, is success. */
export async function ipamDel(req: Request, store: IpamStoreConfig = loadStoreConfig(req.conf)): Promise<void> {
  const owner = ownerOf(req);
  await withStoreIfPresent(store, () => {
    collectStaleTempFiles(store.dir);
    release(
      store.dir,
      allocationsOf(readAllocations(store.dir), owner).map((a) => a.address),
    );
  });
}

/** GC: release every allocation whose attachment the runtime did not list as valid. */
export async function ipamGc(req: GcRequest, store: IpamStoreConfig = loadStoreConfig(req.conf)): Promise<void> {
  const valid = req.validAttachments;
  // Without a list the runtime said nothing about what to keep; dropping everything would be a guess.
  if (!valid) return;
  await withStoreIfPresent(store, () => {
    collectStaleTempFiles(store.dir);
    release(
      store.dir,
      readAllocations(store.dir).flatMap((a) => (isValid(a, valid) ? [] : [a.address])),
    );
    collectOrphanBootRecords(store.dir);
  });
}

function isValid(allocation: Allocation, valid: readonly Attachment[]): boolean {
  // Files of old host-local versions name only the container; any of its attachments keeps them.
  return valid.some(
    (v) => v.containerId.trim() === allocation.containerId && (allocation.ifname === undefined || v.ifname === allocation.ifname),
  );
}

/** Run `fn` under the store lock when the store exists; a store that is (or goes) missing holds nothing. */
async function withStoreIfPresent(store: IpamStoreConfig, fn: () => void): Promise<void> {
  if (!storeExists(store.dir)) return;
  try {
    await withStoreLock(store.dir, fn);
  } catch (e) {
    if (isCniError(e, ErrorCode.IoFailure) && !storeExists(store.dir)) return;
    throw e;
  }
}

/** CHECK: the attachment holds addresses, and they are exactly prevResult's addresses in our ranges. */
export async function ipamCheck(req: Request, config: IpamConfig = loadIpamConfig(req.conf, req.env.args)): Promise<void> {
  const owner = ownerOf(req);
  const all = storeExists(config.dir) ? await withStoreLock(config.dir, () => readAllocations(config.dir)) : [];
  const mine = allocationsOf(all, owner);
  if (mine.length === 0) {
    throw new CniError(
      ErrorCode.NotAllocated,
      `no address is allocated to ${owner.containerId}/${owner.ifname} in network ${config.network}`,
    );
  }
  const previous = (req.prevResult?.ips ?? []).flatMap((ip) => {
    const cidr = parseCidr(ip.address);
    return cidr ? [cidr] : [];
  });
  for (const allocation of mine) checkListed(allocation.address, previous, config.rangeSets, owner);
  for (const { address } of previous) {
    const ours = config.rangeSets.some((set) => rangeFor(set, address) !== undefined);
    if (ours && !mine.some((a) => sameAddress(a.address, address))) {
      throw mismatch(`prevResult lists ${formatAddress(address)}, which the store does not hold for ${owner.containerId}/${owner.ifname}`);
    }
  }
}

function checkListed(address: Address, previous: { address: Address; prefix: number }[], sets: RangeSet[], owner: Attachment): void {
  const listed = previous.find((p) => sameAddress(p.address, address));
  if (!listed) {
    throw mismatch(`${formatAddress(address)} is allocated to ${owner.containerId}/${owner.ifname} but missing from prevResult`);
  }
  const range = sets.map((set) => rangeFor(set, address)).find((r) => r !== undefined);
  if (range && range.subnet.prefix !== listed.prefix) {
    throw mismatch(`prevResult has ${formatAddress(address)}/${listed.prefix}, the configured subnet is /${range.subnet.prefix}`);
  }
}

function mismatch(msg: string): CniError {
  return new CniError(ErrorCode.AllocationMismatch, msg);
}

/** STATUS: the store can be written and every range set has a free address; code 50 otherwise. */
export async function ipamStatus(req: Request, config: IpamConfig = loadIpamConfig(req.conf)): Promise<void> {
  try {
    probeWritable(config.dir);
  } catch (e) {
    throw new CniError(ErrorCode.PluginNotAvailable, `IPAM store ${config.dir} is not writable`, (e as Error).message);
  }
  const all = readAllocations(config.dir);
  for (const set of config.rangeSets) {
    const used = all.filter((a) => isAllocatable(set, a.address)).length;
    if (BigInt(used) >= allocatableCount(set)) {
      throw new CniError(ErrorCode.PluginNotAvailable, `no IP addresses left in range set ${formatRangeSet(set)}`);
    }
  }
}

/** host-local's lock on the store: flock(2) on <store>/lock. */
function withStoreLock<T>(dir: string, fn: () => Promise<T> | T): Promise<T> {
  return withFileLock(lockPath(dir), fn, { kind: 'flock' });
}
