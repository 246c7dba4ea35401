import { describe, expect, it } from 'vitest';
import { netnsIsPresent } from '../../../cli/zonectl/netns.js';

describe('netnsIsPresent', () => {
  it('is false for nothing, a name that is gone, and a file that is no namespace', () => {
    expect(netnsIsPresent(undefined)).toBe(false);
    expect(netnsIsPresent('')).toBe(false);
    expect(netnsIsPresent(`/run/netns/czt-unit-${process.pid}-absent`)).toBe(false);
    expect(netnsIsPresent('/etc/hostname')).toBe(false);
  });

  it('is true for a network namespace by any path', () => {
    expect(netnsIsPresent('/proc/self/ns/net')).toBe(true);
  });
});
