// Opening a network namespace by path (a /run/netns bind mount, a /proc/PID/ns/net link, ...)
// and proving it is one before anybody setns(2)es into it: the file must live on nsfs and be
// of kind `net`. A missing path is a typed not-found error, so DEL can treat it as done.

import { closeSync, fstatSync, openSync, readFileSync, readlinkSync, statSync } from 'node:fs';
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

function namespaceKind(path: string, inode: number): string | undefined {
  return kindFromLink(path, inode) ?? kindFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'), inode);
}

function openForReading(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new NetnsError('not-found', `network namespace ${path} does not exist`);
    }
    throw new NetnsError('not-netns', `cannot open network namespace ${path}`, (e as Error).message);
  }
}

function validatedInode(path: string, fd: number): number {
  const stat = fstatSync(fd);
  if (stat.dev !== nsfsDev()) throw new NetnsError('not-netns', `${path} is not a namespace file`);
  const kind = namespaceKind(path, stat.ino);
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
