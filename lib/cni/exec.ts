// Running a plugin executable as a runtime does: CNI_* env, config on stdin, result or
// error JSON on stdout. Shared by delegation (plugin → IPAM) and by lib/runtime. The process
// itself is lib/system/process.ts's (which loads node:child_process only when a plugin runs:
// finding one, as every ADD of zone does for its IPAM plugin, must not); here its outcome
// becomes the CNI answer: the plugin's own error, 50 when it cannot start, 101 on timeout.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { CniError, ErrorCode } from './errors.js';
import { decodeJson } from './config.js';
import { pluginTypeProblem } from '../names/index.js';
import { waitLimit } from '../system/budget.js';
import { isProcessError, type ProcessResult, runProcess } from '../system/process.js';

const DEFAULT_PLUGIN_TIMEOUT_MS = 60_000;

export interface ExecRequest {
  executable: string;
  env: NodeJS.ProcessEnv;
  stdin: string;
  timeoutMs?: number;
}

/** Find `type` as an executable file in the CNI_PATH directories, or fail naming where we looked. */
export function findPlugin(type: string, dirs: readonly string[]): string {
  const problem = pluginTypeProblem(type);
  if (problem) throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid plugin type "${type}"`, problem);
  for (const dir of dirs) {
    const candidate = join(dir, type);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here: try the next directory
    }
  }
  throw new CniError(
    ErrorCode.PluginNotAvailable,
    `failed to find plugin "${type}" in path [${dirs.join(' ')}]`,
    'install the plugin into one of these directories or extend CNI_PATH',
  );
}

/** Run a plugin; resolves with its stdout, rejects with the CniError it printed (or one describing its crash). */
export async function execPlugin(req: ExecRequest): Promise<string> {
  const timeoutMs = waitLimit(req.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS);
  let run: ProcessResult;
  try {
    // Own process group, so a timeout also ends what the plugin started (nft, a delegate...),
    // which would otherwise hold our pipes open.
    run = await runProcess(req.executable, [], { env: req.env, stdin: req.stdin, timeoutMs, processGroup: true });
  } catch (e) {
    throw new CniError(ErrorCode.PluginNotAvailable, `cannot run plugin ${req.executable}`, isProcessError(e) ? e.details : String(e));
  }
  const stderr = run.stderr.trim();
  if (run.timedOut)
    throw new CniError(ErrorCode.PluginTimeout, `plugin ${req.executable} timed out after ${timeoutMs} ms`, stderr.slice(-2000));
  if (run.exitCode === 0) return run.stdout;
  throw pluginFailure(req.executable, run.stdout, stderr, run.exitCode, run.signal);
}

function pluginFailure(
  executable: string,
  stdout: string,
  stderr: string,
  code: number | undefined,
  signal: NodeJS.Signals | undefined,
): CniError {
  try {
    const json = decodeJson(stdout, 'plugin error') as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof json.code === 'number' && typeof json.msg === 'string') {
      return new CniError(json.code, json.msg, typeof json.details === 'string' ? json.details : '');
    }
  } catch {
    // not a CNI error object: describe the crash below
  }
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new CniError(ErrorCode.Internal, `plugin ${executable} ${how} without a CNI error`, (stderr || stdout).slice(-2000));
}
