// The proxy as systemd units, where systemd (PID 1, with its bus) manages the namespace we run
// in: a transient socket unit holds [::1]:port and starts the proxy service on the first
// connection; the proxy leaves when idle and systemd starts it again on the next one. Made with
// systemd-run, stopped with systemctl; the unit name says whose it is (units.ts in lib/ports).
import { readlinkSync, statSync } from 'node:fs';
import { CURRENT_NETNS_PATH } from '../netns/open.js';
import { runChecked, runProcess } from '../system/process.js';
import { findExecutable } from '../system/programs.js';
import { waitLimit } from '../system/budget.js';
import { ProxyError } from './errors.js';
import { proxydTarget, proxyProgram } from './process.js';

/** How long an idle proxy stays before systemd lets it go (it comes back on the next connection). */
const EXIT_IDLE_TIME = '5min';
const SYSTEMCTL_WAIT_MS = 10_000;

let managed: boolean | undefined;

function isSystemdPid1(): boolean {
  try {
    return statSync('/run/systemd/system').isDirectory() && readlinkSync('/proc/1/ns/net') === readlinkSync(CURRENT_NETNS_PATH);
  } catch {
    return false;
  }
}

/**
 * Whether systemd can hold our listeners: it runs as PID 1 and its network namespace is ours (a
 * socket unit listens where systemd is; the sandboxes our tests run plugins in are not there).
 */
export function systemdManagesOurNamespace(): boolean {
  managed ??= isSystemdPid1() && findExecutable('systemd-run') !== undefined && findExecutable('systemctl') !== undefined;
  return managed;
}

function program(name: string): string {
  return findExecutable(name) ?? name;
}

/** Start `<unit>.socket` on [::1]:port, activating `<unit>.service`, which proxies to `target`. */
export async function startProxyUnits(unit: string, port: number, target: string): Promise<void> {
  const args = [
    `--unit=${unit}`,
    `--description=cni-zones: [::1]:${port} to ${target}`,
    '--collect',
    '--quiet',
    `--socket-property=ListenStream=[::1]:${port}`,
    proxyProgram(),
    `--exit-idle-time=${EXIT_IDLE_TIME}`,
    proxydTarget(target),
  ];
  try {
    await runChecked(program('systemd-run'), args, { timeoutMs: waitLimit(SYSTEMCTL_WAIT_MS) });
  } catch (e) {
    throw new ProxyError('start-failed', `cannot start ${unit}.socket for [::1]:${port}: ${(e as Error).message}`, '', { cause: e });
  }
}

/** Stop `<unit>.socket` and `<unit>.service` and forget them; quietly done when they are gone. */
export async function stopUnitPair(unit: string): Promise<void> {
  const units = [`${unit}.socket`, `${unit}.service`];
  await runProcess(program('systemctl'), ['stop', ...units], { timeoutMs: waitLimit(SYSTEMCTL_WAIT_MS) });
  await runProcess(program('systemctl'), ['reset-failed', ...units], { timeoutMs: waitLimit(SYSTEMCTL_WAIT_MS) });
}

/** Whether `<unit>.socket` is listening. */
export async function socketUnitActive(unit: string): Promise<boolean> {
  const result = await runProcess(program('systemctl'), ['is-active', '--quiet', `${unit}.socket`], {
    timeoutMs: waitLimit(SYSTEMCTL_WAIT_MS),
  });
  return result.exitCode === 0;
}
