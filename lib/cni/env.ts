// The CNI_* environment, validated per command as SPEC.md "Parameters" requires.
import { CniError, ErrorCode } from './errors.js';
import { parseCniArgs, type CniArgs } from './args.js';

export const COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CniEnv {
  command: Command;
  containerId: string;
  netns: string;
  ifname: string;
  args: CniArgs;
  /** CNI_PATH split into directories. */
  path: string[];
}

type Variable = 'CNI_CONTAINERID' | 'CNI_NETNS' | 'CNI_IFNAME' | 'CNI_PATH';

const REQUIRED: Record<Command, Variable[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  GC: ['CNI_PATH'],
  STATUS: ['CNI_PATH'],
  VERSION: [],
};

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const IFNAMSIZ = 16;

export function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}

export function validateContainerId(id: string): void {
  if (!CONTAINER_ID.test(id)) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      `invalid CNI_CONTAINERID "${id}"`,
      'it must start with a letter or digit and hold only letters, digits, "_", "." and "-"',
    );
  }
}

/** Why a Linux interface name is not valid, or undefined when it is. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (Buffer.byteLength(name) > IFNAMSIZ - 1) return `it is longer than ${IFNAMSIZ - 1} bytes`;
  if (name === '.' || name === '..') return 'it is "." or ".."';
  if (/[/:\s]/.test(name)) return 'it contains "/", ":" or whitespace';
  return undefined;
}

export function validateIfname(name: string): void {
  const problem = interfaceNameProblem(name);
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_IFNAME "${name}"`, problem);
}

/** Read the environment for a known command; VERSION looks at nothing else. */
export function parseEnv(env: NodeJS.ProcessEnv, command: Command): CniEnv {
  const read = (name: Variable | 'CNI_ARGS') => (command === 'VERSION' ? '' : (env[name] ?? ''));
  const missing = REQUIRED[command].filter((name) => !read(name));
  if (missing.length) {
    throw new CniError(ErrorCode.InvalidEnvironment, `required environment variables missing: ${missing.join(', ')}`);
  }
  const cniEnv: CniEnv = {
    command,
    containerId: read('CNI_CONTAINERID'),
    netns: read('CNI_NETNS'),
    ifname: read('CNI_IFNAME'),
    args: parseCniArgs(read('CNI_ARGS')),
    path: read('CNI_PATH').split(':').filter(Boolean),
  };
  if (cniEnv.containerId) validateContainerId(cniEnv.containerId);
  if (cniEnv.ifname) validateIfname(cniEnv.ifname);
  return cniEnv;
}
