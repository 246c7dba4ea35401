// VERSION probing of one plugin, as libcni's GetVersionInfo does it: the dummy CNI_NETNS,
// CNI_IFNAME and CNI_PATH older plugin skeletons insist on, and our newest version on stdin.
import { decodeJson } from '../cni/config.js';
import { CniError, ErrorCode, isCniError } from '../cni/errors.js';
import { execPlugin, findPlugin } from '../cni/exec.js';
import { CURRENT_VERSION } from '../cni/version.js';
import { pluginEnv, type ExecOptions } from './runtime-conf.js';

export interface PluginVersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

const PROBE_ATTACHMENT = { containerId: '', netns: 'dummy', ifname: 'dummy' };

// Plugins from before VERSION existed answer with this error; they speak 0.1.0 only.
const PRE_VERSION_ANSWER = 'unknown CNI_COMMAND: VERSION';

function decodeVersionInfo(stdout: string, type: string): PluginVersionInfo {
  const json = decodeJson(stdout, `VERSION answer of plugin "${type}"`) as { cniVersion?: unknown; supportedVersions?: unknown } | null;
  const cniVersion = json?.cniVersion;
  const supported = json?.supportedVersions;
  if (typeof cniVersion !== 'string' || cniVersion === '') {
    throw new CniError(ErrorCode.DecodingFailure, `VERSION answer of plugin "${type}" has no cniVersion`, stdout.slice(0, 500));
  }
  if (Array.isArray(supported) && supported.length && supported.every((v) => typeof v === 'string')) {
    return { cniVersion, supportedVersions: supported as string[] };
  }
  if (cniVersion === '0.2.0') return { cniVersion, supportedVersions: ['0.1.0', '0.2.0'] };
  throw new CniError(ErrorCode.DecodingFailure, `VERSION answer of plugin "${type}" has no supportedVersions`, stdout.slice(0, 500));
}

/** The versions the plugin `type` (looked up in `options.pluginDirs`) says it supports. */
export async function pluginVersions(type: string, options: ExecOptions): Promise<PluginVersionInfo> {
  const executable = findPlugin(type, options.pluginDirs);
  const env = { ...pluginEnv('VERSION', PROBE_ATTACHMENT, options), CNI_PATH: 'dummy' };
  try {
    const stdin = JSON.stringify({ cniVersion: CURRENT_VERSION });
    const stdout = await execPlugin({ executable, env, stdin, timeoutMs: options.timeoutMs });
    return decodeVersionInfo(stdout, type);
  } catch (e) {
    if (isCniError(e) && e.message === PRE_VERSION_ANSWER) return { cniVersion: CURRENT_VERSION, supportedVersions: ['0.1.0'] };
    throw e;
  }
}
