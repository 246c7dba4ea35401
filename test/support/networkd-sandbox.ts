// systemd-networkd (systemd 252) running for a test, without systemd as PID 1 and
// without touching the machine's own networkd: a throwaway net+mount+pid namespace whose
// PID 1 is networkd-init.sh (mounts, a private dbus-daemon, networkd). Its network
// namespace is the "host" namespace of networkd-backend tests.
//
//   const networkd = await startNetworkdSandbox();
//   onTestFinished(() => networkd.stop());            // or afterAll
//   await writeFile(join(networkd.networkPath, '10-x.netdev'), '...');
//   await networkd.reload();
//
// Things learned the hard way: /sys must be a read-only fresh sysfs (else links stay
// "pending udev initialization"); networkctl needs the private D-Bus; SIGHUP kills
// networkd 252 (reload through D-Bus instead); SIGTERM to `unshare` is ignored, so stop()
// signals the sandbox's init, which takes the whole pid namespace with it.

import { readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type Options, type ResultPromise } from 'execa';
import { cleanupOnExit } from './exit-cleanup.js';
import { killGroupAfter } from './process-group.js';
import { ensureNetnsDirShared, type Netns } from './netns.js';
import { makeTestTempDir, supportDir } from './paths.js';
import { type PluginOutcome, type PluginRun, runPlugin } from './plugin-process.js';
import { isProcessAlive } from './processes.js';

export const networkdInitScript = join(supportDir, 'networkd-init.sh');

export interface NetworkdSandboxOptions {
  /** Hide the vendor files in /usr/lib/systemd/network (80-container-*.network and friends). */
  hideVendorNetworkFiles?: boolean;
  logLevel?: 'info' | 'debug';
  readyTimeoutMs?: number;
}

type ExecaOptions = Pick<Options, 'input' | 'reject' | 'env'> & { detached: true };
export type SandboxExecOptions = Pick<Options, 'input' | 'reject' | 'env'> & { timeoutMs?: number };

export interface NetworkdSandbox {
  /** Host pid of the sandbox's PID 1; its namespaces are the sandbox's. */
  readonly pid: number;
  /** `/proc/PID/ns/net`: for `nsenter --net=`, `ip link ... netns`, nsExec. */
  readonly netnsPath: string;
  /** The sandbox's network namespace as a Netns (for createVethPair, nsExec, snapshots). */
  readonly host: Netns;
  /** Host directory bind-mounted on /etc/systemd/network inside. */
  readonly networkPath: string;
  /** The sandbox's private /run/systemd/network, reachable from the host through /proc/PID/root. */
  readonly runtimeNetworkPath: string;
  /** `nsenter` options that enter the sandbox (net, mount, pid). */
  readonly nsenterOptions: readonly string[];
  /** Run a command inside (network, mount and pid namespace) and wait for it. */
  exec(command: string, args?: readonly string[], options?: SandboxExecOptions): ResultPromise<ExecaOptions>;
  /** `networkctl reload`: networkd re-reads its files; returns once it has applied them. */
  reload(): Promise<void>;
  /** Run a CNI plugin inside, so it sees /run/systemd and the private D-Bus socket. */
  runPlugin(executable: string, run: Omit<PluginRun, 'inNamespace' | 'nsenter'>): Promise<PluginOutcome>;
  /** networkd's log so far (for failure messages). */
  log(): Promise<string>;
  /** Stop everything and remove the state directory; safe to call more than once. */
  stop(): Promise<void>;
}

const pollIntervalMs = 10;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The pid namespace's init is the only child of `unshare --fork`. */
function childPidOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children === '' ? undefined : Number(children.split(' ')[0]);
  } catch {
    return undefined;
  }
}

const backgroundOptions = { reject: false, stdin: 'ignore' } as const;
type Background = ResultPromise<typeof backgroundOptions>;

function startUnshare(stateDir: string, options: NetworkdSandboxOptions): Background {
  const unshare = ['unshare', '--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'slave'];
  const init = [networkdInitScript, stateDir, options.hideVendorNetworkFiles ? '1' : '0', options.logLevel ?? 'info'];
  // pdeathsig: if this process dies without cleaning up, unshare gets SIGKILL, and
  // --kill-child passes that on to the sandbox's init, so no sandbox outlives its test.
  return execa('setpriv', ['--pdeathsig', 'KILL', '--', ...unshare, '--', 'sh', ...init], backgroundOptions);
}

/** The init pid once networkctl answers, or undefined if init died or time ran out. */
async function waitUntilReady(unshare: Background, timeoutMs: number): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  let exited = false;
  void unshare.then(() => (exited = true));
  while (performance.now() < deadline && !exited) {
    const init = unshare.pid === undefined ? undefined : childPidOf(unshare.pid);
    if (init !== undefined && (await answersNetworkctl(init))) return init;
    await sleep(pollIntervalMs);
  }
  return undefined;
}

async function answersNetworkctl(init: number): Promise<boolean> {
  const probe = 'test -e /run/systemd/netif/state && networkctl list >/dev/null 2>&1';
  const result = await execa('nsenter', ['-t', String(init), '-n', '-m', '-p', '--', 'sh', '-c', probe], { reject: false });
  return result.exitCode === 0;
}

async function waitForExit(subprocess: Background, timeoutMs: number): Promise<boolean> {
  const timeout = sleep(timeoutMs).then(() => false);
  return Promise.race([subprocess.then(() => true), timeout]);
}

export async function startNetworkdSandbox(options: NetworkdSandboxOptions = {}): Promise<NetworkdSandbox> {
  await ensureNetnsDirShared();
  const stateDir = makeTestTempDir(`networkd-${process.pid}`);
  const networkPath = join(stateDir, 'network');
  await mkdir(networkPath);
  const unshare = startUnshare(stateDir, options);
  const cancelExitCleanup = cleanupOnExit(() => {
    unshare.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  const stopProcesses = async (init: number | undefined) => {
    if (init !== undefined && isProcessAlive(init)) process.kill(init, 'SIGTERM');
    if (!(await waitForExit(unshare, 3_000))) {
      unshare.kill('SIGKILL');
      await unshare;
    }
  };

  const init = await waitUntilReady(unshare, options.readyTimeoutMs ?? 10_000);
  if (init === undefined) {
    await stopProcesses(childPidOf(unshare.pid ?? 0));
    const { stderr } = await unshare;
    const networkdLog = await readFile(join(stateDir, 'networkd.log'), 'utf8').catch(() => '');
    await rm(stateDir, { recursive: true, force: true });
    cancelExitCleanup();
    throw new Error(`networkd sandbox did not become ready\n${stderr}\n${networkdLog}`);
  }

  const nsenterOptions = ['-t', String(init), '-n', '-m', '-p'];
  const netnsPath = `/proc/${init}/ns/net`;
  const runtimeNetworkPath = `/proc/${init}/root/run/systemd/network`;
  await mkdir(runtimeNetworkPath, { recursive: true });
  let stopped: Promise<void> | undefined;

  const sandbox: NetworkdSandbox = {
    pid: init,
    netnsPath,
    host: { name: `networkd-${init}`, path: netnsPath },
    networkPath,
    runtimeNetworkPath,
    nsenterOptions,
    exec(command, args = [], { timeoutMs, ...execOptions } = {}) {
      // Own process group: nsenter forks for the pid namespace and would not pass a kill on.
      const subprocess = execa('nsenter', [...nsenterOptions, '--', command, ...args], { ...execOptions, detached: true });
      if (timeoutMs !== undefined) killGroupAfter(subprocess, timeoutMs);
      return subprocess;
    },
    async reload() {
      await sandbox.exec('networkctl', ['reload']);
    },
    runPlugin: (executable, run) => runPlugin(executable, { ...run, nsenter: nsenterOptions }),
    log: () => readFile(join(stateDir, 'networkd.log'), 'utf8'),
    stop() {
      stopped ??= (async () => {
        await stopProcesses(init);
        await rm(stateDir, { recursive: true, force: true });
        cancelExitCleanup();
      })();
      return stopped;
    },
  };
  return sandbox;
}
