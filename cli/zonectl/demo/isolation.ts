// Inside the sandbox (PID 1 of fresh net, mount and pid namespaces): make its file system view
// its own, and start systemd-networkd with a private D-Bus if networkd is installed.
// - /run is a new tmpfs: no /run/netns, /run/systemd or D-Bus socket of the host is seen or used.
// - /sys is a fresh, read-only sysfs of the new network namespace (read-only makes networkd treat
//   udev as absent; with it writable every link stays "pending"), with the host's cgroup tree
//   carried over for systemd-nspawn.
// - /etc/systemd/network is hidden: the host's own .network files must not match our links.
// systemd-networkd 252 has no reload-on-SIGHUP (it dies); zonectl reloads it over D-Bus.
import { existsSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detectNetworkd } from '../../../lib/networkd/networkd.js';
import { findExecutable } from '../../../lib/system/programs.js';
import { runChecked } from '../../../lib/system/process.js';
import { type Background, startBackground } from '../process.js';

const NETWORKD = ['/lib/systemd/systemd-networkd', '/usr/lib/systemd/systemd-networkd'];
const READY_TIMEOUT_MS = 10_000;

async function mount(...args: string[]): Promise<void> {
  await runChecked('mount', args, { timeoutMs: 10_000, processGroup: true });
}

export async function isolateFileSystems(workDir: string): Promise<void> {
  await mount('--make-rprivate', '/');
  await mount('-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run');
  const cgroup = join('/run', '.cgroup');
  await mkdir(cgroup);
  await mount('--rbind', '/sys/fs/cgroup', cgroup);
  await mount('-t', 'sysfs', '-o', 'ro', 'sysfs', '/sys');
  await mount('--move', cgroup, '/sys/fs/cgroup');
  if (existsSync('/etc/systemd/network')) await mount('-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/etc/systemd/network');
  for (const dir of ['/run/systemd', '/run/dbus', '/run/netns', workDir]) await mkdir(dir, { recursive: true });
  await runChecked('ip', ['link', 'set', 'lo', 'up'], { processGroup: true });
}

export interface Networkd {
  /** Where networkd logs (for failure messages). */
  log: string;
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(what: string, ready: () => Promise<boolean>, died: () => boolean, log: string): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (!(await ready())) {
    if (died() || performance.now() > deadline) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      throw new Error(`${what} did not start${tail ? `:\n${tail}` : ''}`);
    }
    await sleep(10);
  }
}

function networkdExecutable(): string | undefined {
  return NETWORKD.find((path) => existsSync(path));
}

/** systemd-networkd and the D-Bus it answers on; undefined when either is not installed. */
export async function startNetworkd(workDir: string): Promise<Networkd | undefined> {
  const networkd = networkdExecutable();
  const dbus = findExecutable('dbus-daemon');
  if (!networkd || !dbus) return undefined;
  const dbusLog = join(workDir, 'dbus.log');
  const bus = startBackground(dbus, ['--system', '--nofork', '--nopidfile'], {
    stdio: ['ignore', openSync(dbusLog, 'a'), openSync(dbusLog, 'a')],
  });
  let busDied = false;
  void bus.exited.then(() => (busDied = true));
  await waitFor(
    'dbus-daemon',
    async () => existsSync('/run/dbus/system_bus_socket'),
    () => busDied,
    dbusLog,
  );
  const log = join(workDir, 'networkd.log');
  const env = { ...process.env, SYSTEMD_LOG_TARGET: 'console', SYSTEMD_LOG_LEVEL: 'info' };
  const daemon: Background = startBackground(networkd, [], { env, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  let died = false;
  void daemon.exited.then(() => (died = true));
  await waitFor(
    'systemd-networkd',
    async () => (await detectNetworkd()).presence === 'running',
    () => died,
    log,
  );
  return {
    log,
    async stop() {
      await daemon.stop(3_000);
      await bus.stop(3_000);
    },
  };
}
