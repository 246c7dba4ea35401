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
// Runtimes use 64 hex digits (containerd allows 76); the bound keeps labels derived from an ID
// (the host veth's alias, nft comments, store files) within what the kernel and nft take.
export const MAX_CONTAINER_ID_LENGTH = 128;
const IFNAMSIZ = 16;
// What the kernel takes (dev_valid_name) is wider: anything but "/", ":" and whitespace. We take
// the part every tool shows and parses alike; a leading "-" would read as an option to ip(8).
const INTERFACE_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

export function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}

/** Why a container ID is not valid, or undefined when it is. */
export function containerIdProblem(id: string): string | undefined {
  if (!CONTAINER_ID.test(id)) return 'it must start with a letter or digit and hold only letters, digits, "_", "." and "-"';
  if (id.length > MAX_CONTAINER_ID_LENGTH) return `it is longer than ${MAX_CONTAINER_ID_LENGTH} characters`;
  return undefined;
}

export function validateContainerId(id: string): void {
  const problem = containerIdProblem(id);
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid CNI_CONTAINERID ${JSON.stringify(shorten(id))}`, problem);
}

/** Why a name cannot be an interface name of ours, or undefined when it can. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > IFNAMSIZ - 1) return `it is longer than ${IFNAMSIZ - 1} bytes`;
  if (name === '.' || name === '..') return 'it is "." or ".."';
  if (!INTERFACE_NAME.test(name)) return 'it may hold only letters A-Z a-z, digits, "_", "." and "-", and not start with "-"';
  return undefined;
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
