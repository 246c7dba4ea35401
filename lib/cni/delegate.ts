// Delegation: a plugin runs another plugin (usually its IPAM) found in CNI_PATH, with the
// same environment and the full network configuration, for every command.
import { decodeJson, type ParsedConf } from './config.js';
import type { Command, CniEnv } from './env.js';
import { execPlugin, findPlugin } from './exec.js';
import { parseResult } from './result.js';
import type { Result } from './types.js';

export interface DelegateOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export async function delegate(
  type: string,
  command: Command,
  cniEnv: CniEnv,
  conf: ParsedConf,
  options: DelegateOptions = {},
): Promise<string> {
  const executable = findPlugin(type, cniEnv.path);
  const env = { ...(options.env ?? process.env), CNI_COMMAND: command };
  return execPlugin({ executable, env, stdin: conf.text, timeoutMs: options.timeoutMs });
}

export async function delegateAdd(type: string, cniEnv: CniEnv, conf: ParsedConf, options?: DelegateOptions): Promise<Result> {
  const stdout = await delegate(type, 'ADD', cniEnv, conf, options);
  return parseResult(decodeJson(stdout, `result of ${type}`), conf.conf.cniVersion);
}
