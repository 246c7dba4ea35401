import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type LockKind, withFileLock } from '../../../lib/libc/lock.js';
import { makeTestTempDir } from '../../support/paths.js';

// Another process's view of each kind: flock(1) for flock(2), python3's fcntl for OFD locks
// (F_OFD_SETLKW as systemd's make_lock_file takes it).
const ofdScript = `
import fcntl, struct, sys, time
fd = open(sys.argv[1], 'a')
cmd = fcntl.F_OFD_SETLKW if sys.argv[2] == 'hold' else fcntl.F_OFD_SETLK
try:
    fcntl.fcntl(fd, cmd, struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, 0, 0, 0))
except OSError:
    sys.exit(1)
if sys.argv[2] == 'hold':
    print('locked', flush=True)
    time.sleep(0.3)
`;

const outside: Record<LockKind, { isFree(path: string): boolean; hold(path: string): ChildProcessWithoutNullStreams }> = {
  flock: {
    isFree: (path) => spawnSync('flock', ['--nonblock', path, 'true']).status === 0,
    hold: (path) => spawn('flock', [path, 'sh', '-c', 'echo locked; sleep 0.3']),
  },
  ofd: {
    isFree: (path) => spawnSync('python3', ['-c', ofdScript, path, 'try']).status === 0,
    hold: (path) => spawn('python3', ['-c', ofdScript, path, 'hold']),
  },
};

function tempLockPath(): string {
  const dir = makeTestTempDir('lock');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'lock');
}

async function failure(fn: () => unknown): Promise<{ code?: number; message: string }> {
  try {
    await fn();
  } catch (e) {
    return e as { code?: number; message: string };
  }
  throw new Error('expected a failure, got success');
}

describe.each(['flock', 'ofd'] as const)('withFileLock (%s)', (kind) => {
  const lock = <T>(path: string, fn: () => Promise<T> | T, timeoutMs?: number) => withFileLock(path, fn, { kind, timeoutMs });
  const { isFree, hold } = outside[kind];

  it('lets one holder in at a time, also within one process', async () => {
    const path = tempLockPath();
    let inside = 0;
    let most = 0;
    const holder = () =>
      lock(path, async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(5);
        inside--;
      });
    await Promise.all(Array.from({ length: 8 }, holder));
    expect(most).toBe(1);
  });

  it('holds a lock that other processes see, creates the file and returns the result', async () => {
    const path = tempLockPath();
    const result = await lock(path, () => {
      expect(isFree(path)).toBe(false);
      return 42;
    });
    expect(result).toBe(42);
    expect(existsSync(path)).toBe(true);
    expect(isFree(path)).toBe(true);
  });

  it('releases the lock when the function throws', async () => {
    const path = tempLockPath();
    await expect(lock(path, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(isFree(path)).toBe(true);
  });

  it('waits for a lock another process holds', async () => {
    const path = tempLockPath();
    const holder = hold(path);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const started = Date.now();
    await lock(path, () => undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await exited;
  });

  it('gives up with code 11 after the timeout', async () => {
    const path = tempLockPath();
    await lock(path, async () => {
      const error = await failure(() => lock(path, () => undefined, 50));
      expect(error).toMatchObject({ code: 11, message: `timed out waiting for the lock on ${path}` });
    });
  });

  it('fails with code 5 when the lock file cannot be created', async () => {
    const path = join(tempLockPath(), 'missing', 'lock');
    expect(await failure(() => lock(path, () => undefined))).toMatchObject({ code: 5 });
  });

  it('refuses a symlink planted at the path, without creating, locking or changing its target', async () => {
    const path = tempLockPath();
    const victim = `${path}-victim`;
    writeFileSync(victim, 'precious');
    symlinkSync(victim, path);
    let ran = false;
    const error = await failure(() => lock(path, () => (ran = true)));
    expect(error).toMatchObject({ code: 5, message: `refusing lock file ${path}`, details: 'it is a symbolic link' });
    expect(ran).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(isFree(victim)).toBe(true);

    const dangling = `${path}-dangling`;
    symlinkSync(`${path}-nowhere`, dangling);
    expect(await failure(() => lock(dangling, () => undefined))).toMatchObject({ code: 5 });
    expect(existsSync(`${path}-nowhere`)).toBe(false);
  });

  it('refuses a FIFO or a directory at the path at once, instead of blocking or locking it', async () => {
    const path = tempLockPath();
    spawnSync('mkfifo', [path]);
    expect(await failure(() => lock(path, () => undefined))).toMatchObject({ code: 5, details: 'it is not a regular file' });
    const dir = `${path}.d`;
    mkdirSync(dir);
    expect(await failure(() => lock(dir, () => undefined))).toMatchObject({ code: 5 });
  });

  it('ends up locking the file at the path when the holder unlinks it on release (systemd does)', async () => {
    const path = tempLockPath();
    let waiterSawFreeLock: boolean | undefined;
    let waiter: Promise<void> | undefined;
    await lock(path, async () => {
      waiter = lock(path, () => {
        waiterSawFreeLock = isFree(path);
      });
      await sleep(20);
      unlinkSync(path);
    });
    await waiter;
    // The waiter must hold the lock of the file now at `path`, not of the unlinked one.
    expect(waiterSawFreeLock).toBe(false);
    expect(existsSync(path)).toBe(true);
  });
});

describe('withFileLock kinds', () => {
  it('do not exclude each other, which is why both exist', async () => {
    const path = tempLockPath();
    await withFileLock(
      path,
      async () => {
        expect(outside.ofd.isFree(path)).toBe(true);
        expect(outside.flock.isFree(path)).toBe(false);
      },
      { kind: 'flock' },
    );
  });
});
