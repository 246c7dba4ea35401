// Opening and validating namespace files. Only reads: the process's own namespace files and
// files that are not namespaces (a FIFO, a socket, a directory made here); nothing here needs
// root or changes a namespace.
import { spawn, execFileSync } from 'node:child_process';
import { readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asCniError } from '../../../lib/cni/errors.js';
import { isNetnsError, isNetnsNotFound } from '../../../lib/netns/errors.js';
import {
  CURRENT_NETNS_PATH,
  currentNetnsInode,
  isCurrentNetns,
  kindFromMountinfo,
  openContainerNetns,
  openNetns,
  type NetnsHandle,
} from '../../../lib/netns/open.js';
import { makeTestTempDir } from '../../support/paths.js';

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

describe('openNetns on files that are no namespace', () => {
  let dir: string;
  let server: Server;
  beforeAll(async () => {
    dir = makeTestTempDir('netns-open');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'socket'), resolve));
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The error, and how long openNetns took to give it. */
  function timedError(path: string): { error: unknown; ms: number } {
    const started = performance.now();
    const error = thrown(() => openNetns(path));
    return { error, ms: performance.now() - started };
  }

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    // A writer comes after a second: an open(2) that blocks returns then, too late for the bound.
    const fifo = join(dir, 'fifo');
    const writer = spawn('sh', ['-c', 'sleep 1; exec timeout 2 sh -c \'exec 3>"$0"\' "$0"', fifo], { stdio: 'ignore' });
    try {
      const { error, ms } = timedError(fifo);
      expect(isNetnsError(error, 'not-netns')).toBe(true);
      expect((error as { details: string }).details).toBe('it is a FIFO');
      expect(ms).toBeLessThan(500);
    } finally {
      writer.kill();
    }
  });

  it.each([
    ['socket', 'it is a socket'],
    ['.', 'it is a directory'],
  ])('refuses a %s', (name, details) => {
    const { error } = timedError(join(dir, name));
    expect(isNetnsError(error, 'not-netns')).toBe(true);
    expect((error as { details: string }).details).toBe(details);
  });

  it('refuses a regular file and a device before opening them', () => {
    expect((thrown(() => openNetns('/etc/hostname')) as { details: string }).details).toBe('it is a regular file');
    expect((thrown(() => openNetns('/dev/null')) as { details: string }).details).toBe('it is a device');
  });

  it('follows a symlink to a namespace (and to a FIFO, which it refuses)', () => {
    symlinkSync('/proc/self/ns/net', join(dir, 'link-to-ns'));
    symlinkSync(join(dir, 'fifo'), join(dir, 'link-to-fifo'));
    expect(open(join(dir, 'link-to-ns')).inode).toBe(currentNetnsInode());
    expect(
      isNetnsError(
        thrown(() => openNetns(join(dir, 'link-to-fifo'))),
        'not-netns',
      ),
    ).toBe(true);
  });
});

describe('openContainerNetns', () => {
  // The test runs in the host's namespace: every path to it is refused.
  it.each(['/proc/self/ns/net', '/proc/thread-self/ns/net', `/proc/${process.pid}/ns/net`])(
    "refuses %s, the host's own namespace",
    (path) => {
      const error = thrown(() => openContainerNetns(path));
      expect(isNetnsError(error, 'host-netns')).toBe(true);
      expect(asCniError(error).code).toBe(4);
    },
  );

  it("refuses PID 1's namespace (where a container runtime may not even open it)", () => {
    const error = thrown(() => openContainerNetns('/proc/1/ns/net'));
    expect(isNetnsError(error, 'host-netns') || isNetnsError(error, 'not-netns')).toBe(true);
    expect(asCniError(error).code).toBe(4);
  });

  it('passes other problems on as they are', () => {
    expect(isNetnsNotFound(thrown(() => openContainerNetns('/run/netns/czt-does-not-exist-at-all')))).toBe(true);
    expect(
      isNetnsError(
        thrown(() => openContainerNetns('/etc/hostname')),
        'not-netns',
      ),
    ).toBe(true);
  });
});
