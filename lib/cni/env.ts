// The CNI_* environment, validated per command as SPEC.md "Parameters" requires.
import { CniError, ErrorCode } from './errors.js';
import { parseCniArgs, type CniArgs } from './args.js';
import { containerIdProblem, interfaceNameProblem } from '../names/index.js';

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

export function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}

export function validateContainerId(id: string): void {
  const problem = containerIdProblem(id);
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_CONTAINERID ${JSON.stringify(shorten(id))}`, problem);
}

export function validateIfname(name: string): void {
  const problem = interfaceNameProblem(name);
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_IFNAME ${JSON.stringify(shorten(name))}`, problem);
}

/** Hostile values go back into error messages: quoted by JSON.stringify, and not at any length. */
function shorten(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
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
