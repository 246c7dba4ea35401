// Opening a network namespace by path (a /run/netns bind mount, a /proc/PID/ns/net link, ...)
// and proving it is one before anybody setns(2)es into it: the file must live on nsfs and be
// of kind `net`. A missing path is a typed not-found error, so DEL can treat it as done.
// The path comes from a runtime's environment: what is not on nsfs is refused before open(2),
// which would block on a FIFO, and the open itself cannot block (O_NONBLOCK) should the path
// be swapped in between.

import { closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { errnoCode, NetnsError } from './errors.js';

/** The namespace of the calling thread (setns(2) is per thread, so not /proc/self). */
export const CURRENT_NETNS_PATH = '/proc/thread-self/ns/net';

/** An open network namespace; `fd` is what setns(2) and IFLA_NET_NS_FD take. */
export interface NetnsHandle {
  readonly path: string;
  readonly fd: number;
  /** The nsfs inode: two handles with the same inode are the same namespace. */
  readonly inode: number;
  readonly closed: boolean;
  /** Idempotent. */
  close(): void;
}

class OpenNetns implements NetnsHandle {
  #closed = false;

  constructor(
    readonly path: string,
    readonly fd: number,
    readonly inode: number,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }
}

let nsfsDevice: number | undefined;

/** Every namespace file lives on the one nsfs superblock, so its st_dev identifies nsfs. */
function nsfsDev(): number {
  nsfsDevice ??= statSync(CURRENT_NETNS_PATH).dev;
  return nsfsDevice;
}

/** `net`, `mnt`, ... for a /proc/PID/ns/* link, else undefined. */
function kindFromLink(path: string, inode: number): string | undefined {
  try {
    const match = /^(\w+):\[(\d+)\]$/.exec(readlinkSync(path));
    return match && Number(match[2]) === inode ? match[1] : undefined;
  } catch {
    return undefined;
  }
}

/** The kind of a bind-mounted namespace file, from its mount's root field `net:[INODE]`. */
export function kindFromMountinfo(mountinfo: string, inode: number): string | undefined {
  return new RegExp(`^\\S+ \\S+ \\S+ (\\w+):\\[${inode}\\] `, 'm').exec(mountinfo)?.[1];
}

/** The open file's own link names its kind whatever the path was (a bind mount, a symlink to a /proc link). */
function namespaceKind(path: string, fd: number, inode: number): string | undefined {
  return (
    kindFromLink(`/proc/self/fd/${fd}`, inode) ??
    kindFromLink(path, inode) ??
    kindFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'), inode)
  );
}

function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return stat.isFile() ? 'a regular file' : 'another kind of file';
}

function notFound(path: string, e: unknown): NetnsError | undefined {
  const code = errnoCode(e);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new NetnsError('not-found', `network namespace ${path} does not exist`);
  return undefined;
}

/** stat(2) follows the magic /proc links to the namespace; anything not on nsfs stops here. */
function requireNsfs(path: string): void {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch (e) {
    throw notFound(path, e) ?? new NetnsError('not-netns', `cannot open network namespace ${path}`, (e as Error).message);
  }
  if (stat.dev !== nsfsDev()) throw new NetnsError('not-netns', `${path} is not a namespace file`, `it is ${fileKind(stat)}`);
}

function openForReading(path: string): number {
  requireNsfs(path);
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw notFound(path, e) ?? new NetnsError('not-netns', `cannot open network namespace ${path}`, (e as Error).message);
  }
}

function validatedInode(path: string, fd: number): number {
  const stat = fstatSync(fd);
  if (stat.dev !== nsfsDev()) throw new NetnsError('not-netns', `${path} is not a namespace file`, `it is ${fileKind(stat)}`);
  const kind = namespaceKind(path, fd, stat.ino);
  if (kind !== 'net') {
    throw new NetnsError('not-netns', `${path} is not a network namespace`, kind ? `it is a ${kind} namespace` : '');
  }
  return stat.ino;
}

/** Open and validate a network namespace; the caller closes the handle. */
export function openNetns(path: string): NetnsHandle {
  const fd = openForReading(path);
  try {
    return new OpenNetns(path, fd, validatedInode(path, fd));
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The inode of the namespace the calling thread is in. */
export function currentNetnsInode(): number {
  return statSync(CURRENT_NETNS_PATH).ino;
}

/** Whether `handle` is the namespace the calling thread is in (e.g. refuse to treat the host as a container). */
export function isCurrentNetns(handle: NetnsHandle): boolean {
  return handle.inode === currentNetnsInode();
}

/** The namespace of PID 1, the host's (undefined where /proc hides it); its link can be read where stat(2) is refused. */
function initNetnsInode(): number | undefined {
  try {
    const match = /^net:\[(\d+)\]$/.exec(readlinkSync('/proc/1/ns/net'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Open the namespace a container is to get its interface in. The plugin's own namespace (by
 * whatever path: /proc/self, /proc/thread-self, a bind mount of it) and that of PID 1 are the
 * host's: an interface, addresses and routes there would change the machine, not a container.
 */
export function openContainerNetns(path: string): NetnsHandle {
  const handle = openNetns(path);
  const ownedBy = isCurrentNetns(handle)
    ? 'the namespace this plugin runs in'
    : handle.inode === initNetnsInode()
      ? 'the namespace of PID 1'
      : undefined;
  if (ownedBy !== undefined) {
    handle.close();
    throw new NetnsError(
      'host-netns',
      `${path} is the host's network namespace, not a container's`,
      `it is ${ownedBy}; a container needs a network namespace of its own`,
    );
  }
  return handle;
}
