// A private, unprivileged dbus-daemon for the unit tests of the D-Bus client and of networkd: a real bus checks every
// message our D-Bus client sends far more strictly than a fake could.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dbusDaemonPath = '/usr/bin/dbus-daemon';
export const hasDbusDaemon = existsSync(dbusDaemonPath);
const dbusMonitorPath = '/usr/bin/dbus-monitor';
export const hasDbusMonitor = existsSync(dbusMonitorPath);

export interface TestBus {
  socketPath: string;
  stop(): Promise<void>;
}

function config(socketPath: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socketPath}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

export async function startTestBus(): Promise<TestBus> {
  const dir = await mkdtemp(join(tmpdir(), 'cni-zones-dbus-'));
  const socketPath = join(dir, 'bus');
  await writeFile(join(dir, 'bus.conf'), config(socketPath));
  const daemon: ChildProcess = spawn(dbusDaemonPath, ['--nofork', '--nopidfile', `--config-file=${join(dir, 'bus.conf')}`], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const stop = async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 500 && !existsSync(socketPath); i++) {
    if (daemon.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (!existsSync(socketPath)) {
    await stop();
    throw new Error('test dbus-daemon did not start');
  }
  return { socketPath, stop };
}

export interface BusMonitor {
  /** What dbus-monitor printed so far: each message with its arguments as the bus itself parsed them. */
  output(): string;
  stop(): Promise<void>;
}

/** dbus-monitor on the test bus, printing the messages `match` selects (a match rule). */
export function monitorBus(bus: TestBus, match: string): BusMonitor {
  const monitor = spawn(dbusMonitorPath, ['--address', `unix:path=${bus.socketPath}`, match], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  monitor.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  monitor.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => monitor.once('exit', () => resolve()));
  return {
    output: () => text,
    stop: async () => {
      if (monitor.exitCode === null && monitor.signalCode === null) monitor.kill('SIGTERM');
      await exited;
    },
  };
}
