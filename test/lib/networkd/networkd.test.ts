// networkd.ts against stand-ins: state and sysfs directories in a temporary folder, and a
// private dbus-daemon on which no networkd runs. The real networkd is in test/e2e/networkd.test.ts.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CniError, ErrorCode } from '../../../lib/cni/errors.js';
import { detectNetworkd, isNetworkdRunning, reloadNetworkd, waitForLink } from '../../../lib/networkd/networkd.js';
import { hasDbusDaemon, startTestBus, type TestBus } from '../dbus/dbus-daemon.js';

const ours = '/run/systemd/network/70-cni-zones-web.network';
const vendor = '/usr/lib/systemd/network/80-container-vz.network';

let root: string;
let stateDir: string;
let sysClassNet: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cni-zones-networkd-'));
  stateDir = join(root, 'netif');
  sysClassNet = join(root, 'sys');
  await mkdir(join(stateDir, 'links'), { recursive: true });
  await mkdir(sysClassNet);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function addLink(name: string, ifindex: number): Promise<void> {
  await mkdir(join(sysClassNet, name));
  await writeFile(join(sysClassNet, name, 'ifindex'), `${ifindex}\n`);
}

async function setLinkState(ifindex: number, adminState: string, networkFile = ours): Promise<void> {
  await writeFile(
    join(stateDir, 'links', String(ifindex)),
    `ADMIN_STATE=${adminState}\nOPER_STATE=no-carrier\nNETWORK_FILE=${networkFile}\n`,
  );
}

async function cniErrorOf(promise: Promise<unknown>): Promise<CniError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CniError);
  return error as CniError;
}

describe('waitForLink', () => {
  it('returns at once for a link networkd has configured', async () => {
    await addLink('vz-web', 5);
    await setLinkState(5, 'configured');
    const state = await waitForLink('vz-web', { stateDir, sysClassNet, networkFile: ours });
    expect(state).toMatchObject({ ifindex: 5, adminState: 'configured', networkFile: ours });
  });

  it('waits while the link appears and networkd configures it', async () => {
    const started = performance.now();
    setTimeout(() => void addLink('vz-web', 9), 30);
    setTimeout(() => void setLinkState(9, 'configuring'), 60);
    setTimeout(() => void setLinkState(9, 'configured'), 120);
    const state = await waitForLink('vz-web', { stateDir, sysClassNet, timeoutMs: 2000 });
    expect(state.adminState).toBe('configured');
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('does not count a link configured from another file (the vendor one), and says so on timeout', async () => {
    await addLink('vz-web', 5);
    await setLinkState(5, 'configured', vendor);
    const error = await cniErrorOf(waitForLink('vz-web', { stateDir, sysClassNet, networkFile: ours, timeoutMs: 100 }));
    expect(error.code).toBe(ErrorCode.TryAgainLater);
    expect(error.message).toBe('systemd-networkd did not configure vz-web within 100 ms');
    expect(error.details).toBe(`vz-web: configured (no-carrier), network file ${vendor}`);
  });

  it('gives up with code 11 (try again later) after timeoutMs when there is no such link', async () => {
    const started = performance.now();
    const error = await cniErrorOf(waitForLink('vz-web', { stateDir, sysClassNet, timeoutMs: 150 }));
    const elapsed = performance.now() - started;
    expect(error.code).toBe(ErrorCode.TryAgainLater);
    expect(error.details).toBe('vz-web: no such link or no networkd state for it');
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1000);
  });

  it('fails at once (code 100) when networkd reports it failed to configure the link', async () => {
    await addLink('vz-web', 5);
    await setLinkState(5, 'failed');
    const started = performance.now();
    const error = await cniErrorOf(waitForLink('vz-web', { stateDir, sysClassNet, networkFile: ours, timeoutMs: 5000 }));
    expect(error.code).toBe(ErrorCode.Internal);
    expect(error.message).toBe('systemd-networkd failed to configure vz-web');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('detectNetworkd', () => {
  it('says absent without a bus call when networkd never wrote its state file', async () => {
    const detection = await detectNetworkd({ stateDir: join(root, 'nothing'), busSocket: join(root, 'no-bus'), timeoutMs: 100 });
    expect(detection).toEqual({ presence: 'absent', reason: `${join(root, 'nothing', 'state')} does not exist` });
  });

  it('says unresponsive when the state file is there but the bus is not', async () => {
    await writeFile(join(stateDir, 'state'), 'OPER_STATE=routable\n');
    const detection = await detectNetworkd({ stateDir, busSocket: join(root, 'no-bus'), timeoutMs: 100 });
    expect(detection.presence).toBe('unresponsive');
    expect(detection.reason).toContain('ENOENT');
    expect(await isNetworkdRunning({ stateDir, busSocket: join(root, 'no-bus'), timeoutMs: 100 })).toBe(false);
  });

  it('says unresponsive, within the timeout, when the bus does not answer', async () => {
    await writeFile(join(stateDir, 'state'), 'OPER_STATE=routable\n');
    const busSocket = join(root, 'silent-bus');
    const server: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(busSocket, resolve));
    try {
      const started = performance.now();
      const detection = await detectNetworkd({ stateDir, busSocket, timeoutMs: 100 });
      expect(detection.presence).toBe('unresponsive');
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      server.close();
    }
  });
});

// In CI dbus-daemon is installed by scripts/install-system-deps.sh: missing there is a failure.
describe.skipIf(!hasDbusDaemon && process.env.CI !== 'true')('with a system bus on which networkd does not run', () => {
  let bus: TestBus;

  beforeAll(async () => {
    bus = await startTestBus();
  });

  afterAll(async () => {
    await bus?.stop();
  });

  it('detectNetworkd says absent (stopped): the state file is stale, the bus name unowned', async () => {
    await writeFile(join(stateDir, 'state'), 'OPER_STATE=routable\n');
    expect(await detectNetworkd({ stateDir, busSocket: bus.socketPath })).toEqual({
      presence: 'absent',
      reason: 'org.freedesktop.network1 is not on the system bus (networkd stopped)',
    });
  });

  it('reloadNetworkd fails with code 11 (try again later) instead of starting networkd', async () => {
    const error = await cniErrorOf(reloadNetworkd({ busSocket: bus.socketPath }));
    expect(error.code).toBe(ErrorCode.TryAgainLater);
    expect(error.message).toBe('systemd-networkd did not reload its configuration');
    expect(error.details).toMatch(/^org\.freedesktop\.DBus\.Error\.(ServiceUnknown|NameHasNoOwner): /);
  });
});

describe('reloadNetworkd without a bus', () => {
  it('fails with code 11', async () => {
    const error = await cniErrorOf(reloadNetworkd({ busSocket: join(root, 'no-bus'), timeoutMs: 100 }));
    expect(error.code).toBe(ErrorCode.TryAgainLater);
    expect(error.details).toContain('org.freedesktop.DBus.Error.NoServer');
  });
});
