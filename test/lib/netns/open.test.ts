// Opening and validating namespace files. Only reads: the process's own namespace files and
// files that are not namespaces; nothing here needs root or changes a namespace.
import { readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isNetnsError, isNetnsNotFound } from '../../../lib/netns/errors.js';
import {
  CURRENT_NETNS_PATH,
  currentNetnsInode,
  isCurrentNetns,
  kindFromMountinfo,
  openNetns,
  type NetnsHandle,
} from '../../../lib/netns/open.js';

const opened: NetnsHandle[] = [];
afterEach(() => opened.splice(0).forEach((h) => h.close()));

function open(path: string): NetnsHandle {
  const handle = openNetns(path);
  opened.push(handle);
  return handle;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('openNetns', () => {
  it('opens the own network namespace through its /proc link', () => {
    const handle = open('/proc/self/ns/net');
    expect(handle.fd).toBeGreaterThan(2);
    expect(handle.inode).toBe(currentNetnsInode());
    expect(readlinkSync(CURRENT_NETNS_PATH)).toBe(`net:[${handle.inode}]`);
    expect(isCurrentNetns(handle)).toBe(true);
  });

  it('gives a typed not-found error for a missing path', () => {
    const error = thrown(() => openNetns('/run/netns/czt-does-not-exist-at-all'));
    expect(isNetnsNotFound(error)).toBe(true);
    expect(isNetnsNotFound(thrown(() => openNetns('/etc/hostname/below-a-file')))).toBe(true);
  });

  it('refuses a file that is not a namespace', () => {
    const error = thrown(() => openNetns('/etc/hostname'));
    expect(isNetnsError(error, 'not-netns')).toBe(true);
  });

  it('refuses a namespace of another kind', () => {
    const error = thrown(() => openNetns('/proc/self/ns/mnt'));
    expect(isNetnsError(error, 'not-netns')).toBe(true);
    expect((error as Error & { details: string }).details).toBe('it is a mnt namespace');
  });

  it('closes idempotently', () => {
    const handle = openNetns('/proc/self/ns/net');
    handle.close();
    handle.close();
    expect(handle.closed).toBe(true);
  });
});

describe('kindFromMountinfo', () => {
  const mountinfo = [
    '22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw',
    '79 41 0:4 net:[4026532247] /run/netns/a rw shared:2 - nsfs nsfs rw',
    '80 41 0:4 mnt:[4026532300] /run/mntns/b rw shared:3 - nsfs nsfs rw',
  ].join('\n');

  it('finds the kind of a bind-mounted namespace by inode', () => {
    expect(kindFromMountinfo(mountinfo, 4026532247)).toBe('net');
    expect(kindFromMountinfo(mountinfo, 4026532300)).toBe('mnt');
  });

  it('does not match an inode by prefix or outside the root field', () => {
    expect(kindFromMountinfo(mountinfo, 402653224)).toBeUndefined();
    expect(kindFromMountinfo(mountinfo, 21)).toBeUndefined();
  });
});
