// inNetnsSync with a fake libc: the order of setns calls, the way back after a throw, the
// abort when the way back fails. The real thing is exercised in test/e2e/netns.test.ts.
import { readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLONE_NEWNET } from '../../../lib/libc/index.js';
import { inNetnsSync, type SetnsLibc } from '../../../lib/netns/enter.js';
import { isNetnsError } from '../../../lib/netns/errors.js';
import { openNetns } from '../../../lib/netns/open.js';

interface FakeLibc extends SetnsLibc {
  calls: { fd: number; nstype: number; target: string }[];
}

function describeFd(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'not open';
  }
}

/** Records setns calls (with what each fd points to); fails the call numbers listed. */
function fakeLibc(failing: number[] = []): FakeLibc {
  const calls: FakeLibc['calls'] = [];
  return {
    calls,
    setns(fd, nstype) {
      calls.push({ fd, nstype, target: describeFd(fd) });
      if (failing.includes(calls.length)) throw new Error(`setns failed: errno 22`);
    },
  };
}

const targetFd = 1234567; // never opened; the fake does not care

afterEach(() => vi.restoreAllMocks());

describe('inNetnsSync', () => {
  it('enters the target, runs the function, and goes back to the namespace it came from', () => {
    const own = openNetns('/proc/self/ns/net');
    const libc = fakeLibc();
    const seen: number[] = [];
    const result = inNetnsSync(libc, own, () => {
      seen.push(libc.calls.length);
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual([1]);
    expect(libc.calls.map((c) => c.nstype)).toEqual([CLONE_NEWNET, CLONE_NEWNET]);
    expect(libc.calls[0]?.fd).toBe(own.fd);
    expect(libc.calls[1]?.target).toBe(readlinkSync('/proc/thread-self/ns/net'));
    own.close();
  });

  it('goes back when the function throws, and passes the error on', () => {
    const libc = fakeLibc();
    expect(() =>
      inNetnsSync(libc, targetFd, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(libc.calls).toHaveLength(2);
  });

  it('does not run the function or go back when entering fails', () => {
    const libc = fakeLibc([1]);
    const fn = vi.fn();
    let error: unknown;
    try {
      inNetnsSync(libc, targetFd, fn);
    } catch (e) {
      error = e;
    }
    expect(isNetnsError(error, 'enter-failed')).toBe(true);
    expect(fn).not.toHaveBeenCalled();
    expect(libc.calls).toHaveLength(1);
  });

  it('aborts the process when it cannot go back', () => {
    const abort = vi.spyOn(process, 'abort').mockImplementation(() => {
      throw new Error('aborted');
    });
    const stderr = vi.spyOn(process.stderr, 'write');
    const libc = fakeLibc([2]);
    expect(() => inNetnsSync(libc, targetFd, () => 1)).toThrow('aborted');
    expect(abort).toHaveBeenCalledOnce();
    expect(stderr).not.toHaveBeenCalled(); // the message goes straight to fd 2, synchronously
  });

  it('refuses an async function, after going back', async () => {
    const libc = fakeLibc();
    expect(() => inNetnsSync(libc, targetFd, async () => Promise.reject(new Error('late')))).toThrow(/synchronous/);
    expect(libc.calls).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the rejection must not go unhandled
  });

  it('refuses a closed handle without calling setns', () => {
    const handle = openNetns('/proc/self/ns/net');
    handle.close();
    const libc = fakeLibc();
    expect(() => inNetnsSync(libc, handle, () => 1)).toThrow(/closed/);
    expect(libc.calls).toHaveLength(0);
  });
});
