// The one entry point every plugin's main.ts calls: read env and stdin, apply the spec's
// per-command rules, call the plugin's handler, print the result or the error, and exit.
import { fstatSync, readFileSync, writeSync } from 'node:fs';
import { checkKnownArgs } from './args.js';
import type { NetConf, ParsedConf } from './config.js';
import { COMMANDS, isCommand, parseEnv, type CniEnv } from './env.js';
import { asCniError, CniError, ErrorCode } from './errors.js';
import { DEFAULT_BUDGET_MS, endBudget, startBudget } from '../system/budget.js';
import type { Attachment, Result } from './types.js';
import { RELEASE_VERSION } from '../release/version.js';
import { CURRENT_VERSION, isSupportedVersion, SUPPORTED_VERSIONS, versionAtLeast } from './version.js';

export interface Request {
  env: CniEnv;
  conf: NetConf;
  parsed: ParsedConf;
  prevResult?: Result;
}

export interface GcRequest extends Request {
  /** Attachments to keep; undefined when the runtime sent no list. */
  validAttachments?: Attachment[];
}

/** What a plugin implements; a missing handler is answered with code 50, never a fake success. */
export interface Handlers {
  add?(req: Request): Promise<Result>;
  del?(req: Request): Promise<void>;
  check?(req: Request): Promise<void>;
  status?(req: Request): Promise<void>;
  gc?(req: GcRequest): Promise<void>;
}

export interface PluginInfo {
  name: string;
  /** Printed on stderr when CNI_COMMAND is empty. */
  about: string;
  /** CNI_ARGS keys the plugin uses (others need IgnoreUnknown). */
  knownArgs?: readonly string[];
}

export interface PluginIO {
  env: NodeJS.ProcessEnv;
  readStdin(): Promise<string>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Ends the process after `ms` even when it is stuck in a synchronous call (the budget's backstop). */
  armBackstop?(ms: number): void;
}

// Plain file-descriptor calls, not process.stdin/stdout: the stream objects cost a compiled
// plugin ~30 ms and 12 MB at start, more than everything else VERSION does.
const processIO: PluginIO = {
  env: process.env,
  readStdin: () => Promise.resolve(readInput()),
  stdout: (text) => writeAll(1, text),
  stderr: (text) => writeAll(2, text),
  armBackstop: (ms) => {
    // SIGALRM's default action ends the process, as the runtime's own kill would.
    void import('../libc/index.js').then(({ getLibc }) => getLibc().alarm(Math.ceil(ms / 1000))).catch(() => undefined);
  },
};

// The budget's timer answers while the event loop runs; a synchronous call that hangs (a
// file on a dead mount) is ended by the alarm this much later.
const BACKSTOP_GRACE_MS = 3_000;

/** All of stdin; nothing from a terminal (a person typing VERSION by hand). */
function readInput(): string {
  if (fstatSync(0).isCharacterDevice()) return '';
  return readFileSync(0, 'utf8');
}

/** A runtime that closed its end of the pipe (EPIPE) has stopped listening: nothing to report to. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
  } catch {
    // the reader is gone
  }
}

/** A plugin's handler table, or how to load it: VERSION never loads a plugin's code. */
export type HandlerSource = Handlers | (() => Promise<Handlers>);

/** Run one CNI command; resolves with the exit code (0 or 1). */
export async function dispatch(info: PluginInfo, source: HandlerSource, io: PluginIO = processIO): Promise<number> {
  let version: string = CURRENT_VERSION;
  try {
    const command = io.env.CNI_COMMAND ?? '';
    if (command === '') {
      // As the reference plugins do ("CNI bridge plugin v1.1.1"): who it is, and which release.
      io.stderr(`${info.about}\ncni-zones ${RELEASE_VERSION}\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(', ')}\n`);
      return 0;
    }
    const stdin = await io.readStdin();
    if (command === 'VERSION') {
      io.stdout(`${JSON.stringify(versionInfo(stdin))}\n`);
      return 0;
    }
    // The schemas are built on import: VERSION, answered above, never pays for them.
    const { parseNetConf, requestedVersion } = await import('./config.js');
    // Errors found before the config is parsed still answer in the version it asked for.
    version = requestedVersion(stdin) ?? version;
    if (!isCommand(command)) {
      throw new CniError(
        ErrorCode.InvalidEnvironment,
        `unknown CNI_COMMAND ${JSON.stringify(command)}`,
        `expected one of ${COMMANDS.join(', ')}`,
      );
    }
    const env = parseEnv(io.env, command);
    const parsed = parseNetConf(stdin, command);
    version = parsed.conf.cniVersion;
    checkKnownArgs(env.args, info.knownArgs ?? []);
    const req: Request = { env, conf: parsed.conf, parsed, prevResult: parsed.prevResult };
    const handlers = typeof source === 'function' ? await source() : source;
    const output = await withinBudget(budgetOf(parsed.conf), info, command, io, () => run(info, handlers, req));
    if (output) io.stdout(`${JSON.stringify(output)}\n`);
    return 0;
  } catch (e) {
    const error = asCniError(e);
    if (!(e instanceof CniError) && io.env.CNI_ZONES_DEBUG && e instanceof Error) io.stderr(`${e.stack}\n`);
    io.stdout(`${JSON.stringify(error.toJSON(version))}\n`);
    return 1;
  }
}

function budgetOf(conf: NetConf): number {
  return conf.timeoutSeconds === undefined ? DEFAULT_BUDGET_MS : conf.timeoutSeconds * 1000;
}

/** Run `fn` within the call's time budget: every wait inside is bounded by it, and when it runs out the call fails with 11. */
async function withinBudget<T>(ms: number, info: PluginInfo, command: string, io: PluginIO, fn: () => Promise<T>): Promise<T> {
  startBudget(ms);
  io.armBackstop?.(ms + BACKSTOP_GRACE_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(overrunError(info, command, ms)), ms);
  });
  try {
    return await Promise.race([fn(), overrun]);
  } finally {
    clearTimeout(timer);
    endBudget();
  }
}

function overrunError(info: PluginInfo, command: string, ms: number): CniError {
  return new CniError(
    ErrorCode.TryAgainLater,
    `${info.name} did not finish ${command} within its time budget of ${ms / 1000} s`,
    'something it waited on did not answer in time; a DEL removes what it did; try again, or raise "timeoutSeconds" in the configuration',
  );
}

/**
 * The VERSION result: the spec's two fields, and the release as `cniZonesVersion`. Runtimes ignore
 * a key they do not know (libcni's pkg/version decodes into a struct with json.Unmarshal).
 */
function versionInfo(stdin: string): { cniVersion: string; supportedVersions: string[]; cniZonesVersion: string } {
  let requested: unknown;
  try {
    requested = (JSON.parse(stdin) as { cniVersion?: unknown } | null)?.cniVersion;
  } catch {
    // VERSION must answer even to junk: podman probes with dummy values
  }
  const cniVersion = isSupportedVersion(requested) ? requested : CURRENT_VERSION;
  return { cniVersion, supportedVersions: [...SUPPORTED_VERSIONS], cniZonesVersion: RELEASE_VERSION };
}

async function run(info: PluginInfo, handlers: Handlers, req: Request): Promise<Record<string, unknown> | undefined> {
  const version = req.conf.cniVersion;
  switch (req.env.command) {
    case 'ADD': {
      const result = await need(info, handlers.add, 'ADD')(req);
      const { convertResult } = await import('./result.js');
      return convertResult(result, version);
    }
    case 'DEL':
      await need(info, handlers.del, 'DEL')(req);
      return undefined;
    case 'CHECK':
      requireVersion(version, '0.4.0', 'CHECK');
      if (!req.prevResult) throw new CniError(ErrorCode.InvalidNetworkConfig, 'CHECK needs a prevResult in the configuration');
      await need(info, handlers.check, 'CHECK')(req);
      return undefined;
    case 'STATUS':
      requireVersion(version, '1.1.0', 'STATUS');
      if (!handlers.add) throw notAvailable(info, 'ADD');
      await need(info, handlers.status, 'STATUS')(req);
      return undefined;
    case 'GC': {
      requireVersion(version, '1.1.0', 'GC');
      const { validAttachments } = await import('./config.js');
      await need(info, handlers.gc, 'GC')({ ...req, validAttachments: validAttachments(req.conf) });
      return undefined;
    }
    default:
      throw new CniError(ErrorCode.InvalidEnvironment, `unexpected command ${req.env.command}`);
  }
}

function requireVersion(version: string, min: string, command: string): void {
  if (!versionAtLeast(version, min)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `${command} needs cniVersion ${min} or later, the configuration says ${version}`,
      `supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
}

function notAvailable(info: PluginInfo, command: string): CniError {
  return new CniError(ErrorCode.PluginNotAvailable, `${info.name} does not implement ${command} yet`);
}

function need<T>(info: PluginInfo, handler: T | undefined, command: string): T {
  if (!handler) throw notAvailable(info, command);
  return handler;
}

/**
 * For main.ts: dispatch, then exit at once. Output is written synchronously, and a call that
 * ran out of its budget must not wait for the steps still pending.
 */
export function main(info: PluginInfo, source: HandlerSource): void {
  void dispatch(info, source).then((code) => process.exit(code));
}
