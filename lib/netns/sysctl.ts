// Network sysctls of one namespace. /proc/sys/net shows the namespace of the thread that
// opens the file, so a namespace's value is read or written inside an inNetns window, never
// from the root namespace. Only `net.*` keys are accepted: other sysctls are global, and
// writing them "inside" a namespace would change the whole machine.

import { readFileSync, writeFileSync } from 'node:fs';
import { errnoCode, NetnsError } from './errors.js';
import { inNetns, type NetnsTarget } from './enter.js';

/** `net.ipv4.ip_forward`, or segments when one holds a dot (an interface name such as `eth0.5`). */
export type SysctlKey = string | readonly string[];
export type SysctlValue = string | number;

export interface SysctlOptions {
  /** The namespace to act in; undefined = the one the thread is in. */
  netns?: NetnsTarget;
}

// Interface names may hold more than this, but not "/", ":" or whitespace (the kernel forbids them).
const segmentPattern = /^[A-Za-z0-9_@+.-]+$/;

function segmentsOf(key: SysctlKey): readonly string[] {
  return typeof key === 'string' ? key.split('.') : key;
}

function describeKey(key: SysctlKey): string {
  return typeof key === 'string' ? key : key.join('.');
}

function invalidKey(key: SysctlKey, problem: string): NetnsError {
  return new NetnsError('invalid-name', `invalid sysctl key "${describeKey(key)}"`, problem);
}

/** The /proc/sys file of a `net.*` key, after validating every segment. */
export function sysctlPath(key: SysctlKey): string {
  const segments = segmentsOf(key);
  if (segments[0] !== 'net' || segments.length < 2) throw invalidKey(key, 'only net.* sysctls belong to a namespace');
  for (const segment of segments) {
    if (!segmentPattern.test(segment) || segment === '.' || segment === '..') {
      throw invalidKey(key, `bad segment "${segment}"`);
    }
  }
  return `/proc/sys/${segments.join('/')}`;
}

/** The key of a per-interface setting, e.g. `interfaceSysctl('ipv6', 'eth0', 'accept_dad')`. */
export function interfaceSysctl(family: 'ipv4' | 'ipv6', ifname: string, setting: string): string[] {
  return ['net', family, 'conf', ifname, setting];
}

function sysctlError(key: SysctlKey, e: unknown, action: string): NetnsError {
  if (errnoCode(e) === 'ENOENT') return new NetnsError('sysctl-missing', `sysctl ${describeKey(key)} does not exist`);
  return new NetnsError('sysctl-failed', `cannot ${action} sysctl ${describeKey(key)}`, (e as Error).message);
}

function readNow(key: SysctlKey, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw sysctlError(key, e, 'read');
  }
}

function writeNow(key: SysctlKey, path: string, value: SysctlValue): void {
  try {
    writeFileSync(path, `${value}\n`);
  } catch (e) {
    throw sysctlError(key, e, 'write');
  }
}

function inside<T>(options: SysctlOptions, fn: () => T): Promise<T> {
  return options.netns === undefined ? Promise.resolve().then(fn) : inNetns(options.netns, fn);
}

/** The value, without the trailing newline. */
export async function readSysctl(key: SysctlKey, options: SysctlOptions = {}): Promise<string> {
  const path = sysctlPath(key);
  return inside(options, () => readNow(key, path));
}

export async function writeSysctl(key: SysctlKey, value: SysctlValue, options: SysctlOptions = {}): Promise<void> {
  return writeSysctls([[key, value]], options);
}

/** Several writes in one namespace window, in order; stops at the first failure. */
export async function writeSysctls(entries: Iterable<readonly [SysctlKey, SysctlValue]>, options: SysctlOptions = {}): Promise<void> {
  const writes = [...entries].map(([key, value]) => ({ key, path: sysctlPath(key), value: String(value) }));
  for (const { key, value } of writes) {
    if (!/^[\x20-\x7e]*$/.test(value)) throw invalidKey(key, 'the value must be printable ASCII on one line');
  }
  await inside(options, () => writes.forEach(({ key, path, value }) => writeNow(key, path, value)));
}
