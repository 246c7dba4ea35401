// One small file per attachment recording the exact elements its ADD wrote, so DEL removes
// them in one transaction without prevResult and without listing the table (a listing grows
// with every mapping on the host). Written atomically and durably (lib/files/durable.ts: a temp
// file created O_EXCL|O_NOFOLLOW, fsynced, renamed); names are hashes (owner.ts), so nothing
// from a request becomes a path. A file that cannot be read as ours (a symlink included)
// counts as absent: DEL then falls back to the listing. Temp files of killed writers are
// collected by DEL (the owner's) and GC (all).
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { CniError, ErrorCode } from '../cni/errors.js';
import { collectStaleTemps, readFileNoFollow, removeQuietly, replaceFile } from '../files/durable.js';
import type { Element } from '../nft/objects.js';
import { currentBootId } from '../system/boot-id.js';
import { stateFileName, type Owner } from './owner.js';
import { PORTS_SETS, SHARED_SETS } from './ruleset.js';

/**
 * A [::1] listener of the attachment and the proxy behind it (proxies.ts): a process of ours
 * (`pid` is written once it runs: a record without it names a proxy a kill may have left
 * unrecorded), or a systemd unit pair.
 */
export type ProxyRecord =
  | { port: number; target: string; via: 'process'; pid?: number }
  | { port: number; target: string; via: 'systemd'; unit: string };

export interface PortsState {
  owner: Owner;
  elements: Element[];
  /** Absent in records written before [::1] was published. */
  proxies?: ProxyRecord[];
  /** Shared elements the attachment relies on but does not own (the hairpin pair): repair writes them again. */
  shared?: Element[];
  /** The boot the attachment was added in (lib/system/boot-id.ts); absent in records of older versions. */
  bootId?: string;
}

const VERSION = 1;

let schema: ReturnType<typeof buildSchema> | undefined;

function buildSchema() {
  const literals = z.array(z.string());
  const elementOf = (sets: ReadonlySet<string>) =>
    z.object({
      set: z.string().check(z.refine((name) => sets.has(name), 'not a set of ours')),
      key: literals,
      value: z.optional(literals),
      comment: z.optional(z.string()),
    });
  return z.object({
    version: z.literal(VERSION),
    bootId: z.optional(z.string()),
    owner: z.object({ network: z.string(), containerId: z.string(), ifname: z.string() }),
    elements: z.array(elementOf(PORTS_SETS)),
    shared: z.optional(z.array(elementOf(SHARED_SETS))),
    proxies: z.optional(
      z.array(
        z.union([
          z.object({ port: z.number(), target: z.string(), via: z.literal('process'), pid: z.optional(z.number()) }),
          z.object({ port: z.number(), target: z.string(), via: z.literal('systemd'), unit: z.string() }),
        ]),
      ),
    ),
  });
}

export function ioError(what: string, e: unknown): CniError {
  return new CniError(ErrorCode.IoFailure, what, e instanceof Error ? e.message : String(e));
}

export function statePath(dir: string, owner: Owner): string {
  return join(dir, stateFileName(owner));
}

function parseState(text: string): PortsState | undefined {
  schema ??= buildSchema();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return undefined;
  const asElement = (e: (typeof parsed.data.elements)[number]): Element => ({ kind: 'element', ...e });
  const { proxies, shared, bootId } = parsed.data;
  return {
    ...(bootId !== undefined && { bootId }),
    owner: parsed.data.owner,
    elements: parsed.data.elements.map(asElement),
    ...(proxies !== undefined && proxies.length > 0 && { proxies }),
    ...(shared !== undefined && shared.length > 0 && { shared: shared.map(asElement) }),
  };
}

export function readStateFile(path: string): PortsState | undefined {
  let text: string;
  try {
    text = readFileNoFollow(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw ioError(`cannot read ${path}`, e);
  }
  return parseState(text);
}

/** The owner's record, or undefined when there is none (or it is not one of ours). */
export function readState(dir: string, owner: Owner): PortsState | undefined {
  const state = readStateFile(statePath(dir, owner));
  const same =
    state && state.owner.network === owner.network && state.owner.containerId === owner.containerId && state.owner.ifname === owner.ifname;
  return same ? state : undefined;
}

const RECORD_NAME = /^[0-9a-f]{32}\.json$/;
const TEMP_NAME = /^([0-9a-f]{32}\.json)\.(\d+)\.tmp$/;

function tempPathOf(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

export function writeState(dir: string, state: PortsState): void {
  const path = statePath(dir, state.owner);
  const temp = tempPathOf(path);
  const plain = (elements: readonly Element[]) =>
    elements.map(({ set, key, value, comment }) => ({ set, key, ...(value && { value }), ...(comment && { comment }) }));
  const { proxies = [], shared = [] } = state;
  // A record rewritten (repair, a later ADD's change) keeps the boot it was made in.
  const bootId = state.bootId ?? currentBootId();
  const content = `${JSON.stringify({
    version: VERSION,
    ...(bootId !== undefined && { bootId }),
    owner: state.owner,
    elements: plain(state.elements),
    ...(shared.length > 0 && { shared: plain(shared) }),
    ...(proxies.length > 0 && { proxies }),
  })}\n`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      replaceFile(path, temp, content, 0o600);
    } catch (e) {
      // A temp file with our pid can only be a dead namesake's: ours are never left behind.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      removeQuietly(temp);
      replaceFile(path, temp, content, 0o600);
    }
  } catch (e) {
    throw ioError(`cannot write ${path}`, e);
  }
}

/** Remove temp files whose writer died mid-write: the owner's, or every one when no owner is given. */
export function collectStateTemps(dir: string, owner?: Owner): void {
  const record = owner === undefined ? undefined : stateFileName(owner);
  try {
    collectStaleTemps(dir, (name) => {
      const match = TEMP_NAME.exec(name);
      return match === null || (record !== undefined && match[1] !== record) ? undefined : Number(match[2]);
    });
  } catch (e) {
    throw ioError(`cannot list ${dir}`, e);
  }
}

export function removeState(dir: string, owner: Owner): void {
  try {
    rmSync(statePath(dir, owner), { force: true });
  } catch (e) {
    throw ioError(`cannot remove ${statePath(dir, owner)}`, e);
  }
}

/** Every record in `dir` (for GC); unreadable files are skipped. */
export function listStates(dir: string): PortsState[] {
  return listDir(dir)
    .filter((name) => RECORD_NAME.test(name))
    .map((name) => readStateFile(join(dir, name)))
    .filter((state): state is PortsState => state !== undefined);
}

/** The names in the state directory; none when it does not exist. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(`cannot list ${dir}`, e);
  }
}
