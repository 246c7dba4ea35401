import { describe, expect, it } from 'vitest';
import { loadNetlink, NLM_F_CREATE, NLM_F_EXCL, REQUEST_TIMEOUT_MS, requestOptions } from '../../../lib/rtnl/socket.js';

describe('requestOptions', () => {
  it('always bounds a request, and adds flags only when there are some', () => {
    expect(requestOptions()).toEqual({ timeout: REQUEST_TIMEOUT_MS });
    expect(requestOptions(NLM_F_CREATE | NLM_F_EXCL)).toEqual({ flags: 0x600, timeout: REQUEST_TIMEOUT_MS });
  });
});

describe('loadNetlink', () => {
  it('imports the package once', async () => {
    const first = loadNetlink();
    expect(loadNetlink()).toBe(first);
    expect(typeof (await first).createRtNetlink).toBe('function');
  });
});
