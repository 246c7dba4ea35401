// Unit tests run in whatever namespace the test process is in, often the machine's own: they
// must never start a real [::1] proxy there. One that forgets to pass a fake ProxyAccess fails here.
import { vi } from 'vitest';

vi.mock('../../lib/proxy/listener.js', () => {
  const refuse = () => {
    throw new Error('a unit test reached the real [::1] listener: pass `proxies: fakeProxies()` (test/lib/ports/helpers.ts)');
  };
  return { listenOnLoopback6: refuse, probeLoopback6: refuse, closeListener: () => undefined };
});
