// Unit tests run in whatever namespace the test process is in, often the machine's own: they
// must never start a real [::1] proxy or name server there. One that forgets its fake fails here.
import { vi } from 'vitest';

vi.mock('../../lib/proxy/listener.js', () => {
  const refuse = () => {
    throw new Error('a unit test reached the real [::1] listener: pass `proxies: fakeProxies()` (test/lib/ports/helpers.ts)');
  };
  return { listenOnLoopback6: refuse, probeLoopback6: refuse, closeListener: () => undefined };
});

// Nor a real zone name server: the zone core's unit tests hand in a fake world's `dns`.
vi.mock('../../lib/dns/supervisor.js', () => {
  const refuse = () => {
    throw new Error('a unit test reached the real zone name server: hand the zone core a fake world (test/lib/zone/fake-world.ts)');
  };
  return { ensureZoneDns: refuse, stopZoneDns: refuse, zoneDnsRuns: refuse };
});
