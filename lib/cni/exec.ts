// Running a plugin executable as a runtime does: CNI_* env, config on stdin, result or
// error JSON on stdout. Shared by delegation (plugin → IPAM) and by lib/runtime.
// node:child_process, not execa, and imported only when a plugin is run: finding one (every
// ADD of zone checks its IPAM plugin exists) must not load the module.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { CniError, ErrorCode } from './errors.js';
import { decodeJson } from './config.js';
import { waitLimit } from '../system/budget.js';

export const DEFAULT_PLUGIN_TIMEOUT_MS = 60_000;

export interface ExecRequest {
  executable: string;
  env: NodeJS.ProcessEnv;
  stdin: string;
  timeoutMs?: number;
}

/** Find `type` as an executable file in the CNI_PATH directories, or fail naming where we looked. */
export function findPlugin(type: string, dirs: readonly string[]): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(type)) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `invalid plugin type "${type}"`, 'a plugin type is a file name');
  }
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
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout also ends what the plugin started (nft, a delegate...),
    // which would otherwise hold our pipes open.
    const child = spawn(req.executable, [], { env: req.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
      child.stdout.destroy();
      child.stderr.destroy();
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // a plugin may exit before reading stdin
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CniError(ErrorCode.PluginNotAvailable, `cannot run plugin ${req.executable}`, e.message));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (timedOut) {
        reject(new CniError(ErrorCode.PluginTimeout, `plugin ${req.executable} timed out after ${timeoutMs} ms`, stderr.slice(-2000)));
      } else if (code === 0) {
        resolve(stdout);
      } else {
        reject(pluginFailure(req.executable, stdout, stderr, code, signal));
      }
    });
    child.stdin.end(req.stdin);
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function pluginFailure(executable: string, stdout: string, stderr: string, code: number | null, signal: NodeJS.Signals | null): CniError {
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
