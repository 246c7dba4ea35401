import { spawn, spawnSync } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withLock } from '../../../lib/ipam/lock.js';
import { failure, tempDataDir } from './helpers.js';

/** Whether another process could take the lock right now (flock(1) without waiting). */
const lockIsFree = (path: string) => spawnSync('flock', ['--nonblock', path, 'true']).status === 0;

describe('withLock', () => {
  it('lets one holder in at a time, also within one process', async () => {
    const path = join(tempDataDir(), 'lock');
    let inside = 0;
    let most = 0;
    const holder = () =>
      withLock(path, async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(5);
        inside--;
      });
    await Promise.all(Array.from({ length: 8 }, holder));
    expect(most).toBe(1);
  });

  it('holds an flock that other processes see, creates the file and returns the result', async () => {
    const path = join(tempDataDir(), 'lock');
    const result = await withLock(path, () => {
      expect(lockIsFree(path)).toBe(false);
      return 42;
    });
    expect(result).toBe(42);
    expect(existsSync(path)).toBe(true);
    expect(lockIsFree(path)).toBe(true);
  });

  it('releases the lock when the function throws', async () => {
    const path = join(tempDataDir(), 'lock');
    await expect(withLock(path, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lockIsFree(path)).toBe(true);
  });

  it('waits for a lock another process holds', async () => {
    const path = join(tempDataDir(), 'lock');
    const holder = spawn('flock', [path, 'sh', '-c', 'echo locked; sleep 0.3']);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const started = Date.now();
    await withLock(path, () => undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await exited;
  });

  it('gives up with code 11 after the timeout', async () => {
    const path = join(tempDataDir(), 'lock');
    await withLock(path, async () => {
      const error = await failure(() => withLock(path, () => undefined, { timeoutMs: 50 }));
      expect(error).toMatchObject({ code: 11, message: `timed out waiting for the lock on ${path}` });
    });
  });

  it('fails with code 5 when the lock file cannot be created', async () => {
    const path = join(tempDataDir(), 'missing', 'lock');
    expect(await failure(() => withLock(path, () => undefined))).toMatchObject({ code: 5 });
  });

  it('ends up locking the file at the path when the holder unlinks it on release (systemd does)', async () => {
    const path = join(tempDataDir(), 'lock');
    let waiterSawFreeLock: boolean | undefined;
    let waiter: Promise<void> | undefined;
    await withLock(path, async () => {
      waiter = withLock(path, () => {
        waiterSawFreeLock = lockIsFree(path);
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
