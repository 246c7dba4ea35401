// Run a CNI plugin executable exactly the way a CNI runtime does: the CNI_* environment,
// the network config as JSON on stdin, the result (or error) as JSON on stdout.
// Failing plugins are results to look at, not exceptions: runPlugin never throws for a
// non-zero exit, a timeout or a signal. With `binds`, it runs in a private mount namespace
// (`unshare --mount`) where files of the test are bind-mounted over the host's (a resolv.conf
// of its own): what the plugin reads there, and what it leaves running (a zone's name server)
// inherits, without touching the host's files.

import { execa } from 'execa';
import { type Netns, nsenterArgs } from './netns.js';
import { killGroupAfter } from './process-group.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

export interface PluginRun {
  command: CniCommand | (string & {});
  containerId?: string;
  /** CNI_NETNS: a path such as /run/netns/NAME. */
  netns?: string;
  ifname?: string;
  /** CNI_PATH: directories joined with ':'. */
  path?: string | readonly string[];
  /** CNI_ARGS: `K=V;K2=V2` or an object of pairs. */
  args?: string | Readonly<Record<string, string>>;
  /** The network configuration; objects are sent as JSON. */
  stdin?: string | object;
  /** Extra environment; `undefined` removes an inherited variable. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Run inside this network namespace (a Netns, a name under /run/netns or a path). */
  inNamespace?: Netns | string;
  /** Raw `nsenter` options instead of inNamespace, e.g. `['-t', pid, '-n', '-m']`. */
  nsenter?: readonly string[];
  /** Bind-mount each `source` over `target` in a private mount namespace the plugin runs in. */
  binds?: readonly Bind[];
  timeoutMs?: number;
}

export interface Bind {
  source: string;
  target: string;
}

export interface PluginOutcome {
  /** undefined when the plugin was killed (timeout or signal). */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  timedOut: boolean;
  signal: string | undefined;
  /** Why the process could not run or was stopped (e.g. ENOENT), when it did not simply exit. */
  failure: string | undefined;
  durationMs: number;
}

// The test runner's own variables must not reach the plugin: a runtime does not set
// them (vitest adds VITEST*, TEST and NODE_ENV=test), stale CNI_* would mix with ours,
// and NODE_EXTRA_CA_CERTS alone costs every node start 40-70 ms.
function isRunnerOnlyVariable(name: string, value: string | undefined): boolean {
  return (
    name === 'NODE_EXTRA_CA_CERTS' ||
    name.startsWith('CNI_') ||
    name.startsWith('VITEST') ||
    name === 'TEST' ||
    (name === 'NODE_ENV' && value === 'test')
  );
}

function cniArgs(args: PluginRun['args']): string | undefined {
  if (args === undefined || typeof args === 'string') return args;
  return Object.entries(args)
    .map(([key, value]) => `${key}=${value}`)
    .join(';');
}

export function pluginEnvironment(run: PluginRun): Record<string, string> {
  const cni: Record<string, string | undefined> = {
    CNI_COMMAND: run.command,
    CNI_CONTAINERID: run.containerId,
    CNI_NETNS: run.netns,
    CNI_IFNAME: run.ifname,
    CNI_ARGS: cniArgs(run.args),
    CNI_PATH: typeof run.path === 'string' ? run.path : run.path?.join(':'),
  };
  const inherited = Object.entries(process.env).filter(([name, value]) => !isRunnerOnlyVariable(name, value));
  const merged = { ...Object.fromEntries(inherited), ...cni, ...run.env };
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

// `sh -c` with SOURCE TARGET pairs up to `--`, then the command: the binds, then exec (exit 125
// when a bind fails, so it is not mistaken for the plugin's answer).
const BIND_THEN_EXEC = 'while [ "$1" != -- ]; do mount --bind -- "$1" "$2" || exit 125; shift 2; done; shift; exec "$@"';

/** The executable, behind `unshare --mount` and the binds when there are any. */
function withBinds(executable: string, binds: readonly Bind[] = []): string[] {
  if (binds.length === 0) return [executable];
  const pairs = binds.flatMap(({ source, target }) => [source, target]);
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', BIND_THEN_EXEC, 'sh', ...pairs, '--', executable];
}

function commandLine(executable: string, run: PluginRun): [string, string[]] {
  const command = withBinds(executable, run.binds);
  if (run.nsenter) return ['nsenter', [...run.nsenter, '--', ...command]];
  if (run.inNamespace !== undefined) return ['nsenter', [...nsenterArgs(run.inNamespace), ...command]];
  const [file, ...args] = command as [string, ...string[]];
  return [file, args];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function runPlugin(executable: string, run: PluginRun): Promise<PluginOutcome> {
  const [file, args] = commandLine(executable, run);
  const input = run.stdin === undefined || typeof run.stdin === 'string' ? (run.stdin ?? '') : JSON.stringify(run.stdin);
  const started = performance.now();
  // A process group of its own, so a timeout also kills what the plugin started, and
  // the plugin itself behind an nsenter that forked.
  const subprocess = execa(file, args, { input, env: pluginEnvironment(run), extendEnv: false, reject: false, detached: true });
  const timeout = killGroupAfter(subprocess, run.timeoutMs ?? 30_000);
  const result = await subprocess;
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    json: parseJson(result.stdout),
    timedOut: timeout.fired,
    signal: result.signal,
    failure: result.exitCode === undefined ? result.shortMessage : undefined,
    durationMs: performance.now() - started,
  };
}
