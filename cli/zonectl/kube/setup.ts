// A Kubernetes node's setup, as the DaemonSet's init container runs it, in three steps that
// change nothing until everything is known and checked:
//   1. read the Node from the API server until it has a pod subnet (bounded: the controller
//      manager may assign it a moment after the node registers), and check it (node.ts);
//   2. copy this compiled executable with its role links into the node's CNI plugin
//      directory, the way `zonectl install` lays out its library (install/plan.ts, apply.ts):
//      each file written beside its target and renamed over it, never through a symlink;
//   3. write the conflist (conflist.ts) last, durably (lib/files/durable.ts), since its
//      appearance is what tells containerd and CRI-O the node's network is ready.
// The node's directories are reached through a host root (the pod's hostPath mounts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { configPathProblem } from '../../../lib/cni/paths.js';
import { collectStaleTemps, readFileNoFollow, replaceFile } from '../../../lib/files/durable.js';
import { sleep } from '../../../lib/system/proc.js';
import { CommandError } from '../errors.js';
import { renderConfList } from '../example.js';
import { applyInstall, type ItemOutcome } from '../install/apply.js';
import { compiledItems } from '../install/plan.js';
import { ApiError } from './api.js';
import { KUBE_CONFLIST_FILE, kubeConfList } from './conflist.js';
import { type NodeFacts, nodeFacts } from './node.js';
import type { KubeSettings } from './settings.js';

/** One request may take this long, and never longer than what is left of the wait. */
const REQUEST_TIMEOUT_MS = 10_000;
const MIN_REQUEST_TIMEOUT_MS = 1000;
/** Between two looks at a Node without a pod subnet, or after an API server that did not answer. */
const RETRY_MS = 2000;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = { now: () => Date.now(), sleep };

/** The Node `name` once it has a pod subnet; asks again until `waitMs` has passed, then fails saying why. */
export async function waitForPodSubnets(
  fetchNode: (timeoutMs: number) => Promise<unknown>,
  name: string,
  waitMs: number,
  clock: Clock = realClock,
): Promise<NodeFacts> {
  const deadline = clock.now() + waitMs;
  let lastProblem: 'no-pod-subnet' | ApiError = 'no-pod-subnet';
  let requests = 0;
  for (;;) {
    const left = deadline - clock.now();
    requests += 1;
    try {
      const facts = nodeFacts(name, await fetchNode(Math.max(MIN_REQUEST_TIMEOUT_MS, Math.min(REQUEST_TIMEOUT_MS, left))));
      if (facts.podSubnets.length > 0) return facts;
      lastProblem = 'no-pod-subnet';
    } catch (e) {
      if (!(e instanceof ApiError) || !e.transient) throw e;
      lastProblem = e;
    }
    if (clock.now() + RETRY_MS > deadline) break;
    await clock.sleep(RETRY_MS);
  }
  const waited = `${Math.round(waitMs / 1000)} s, ${requests} request${requests === 1 ? '' : 's'}`;
  if (lastProblem === 'no-pod-subnet')
    throw new CommandError(
      `the Node ${name} has no spec.podCIDR (waited ${waited})`,
      'pod subnets come from kube-controller-manager started with --allocate-node-cidrs=true and --cluster-cidr ' +
        '(kubeadm init --pod-network-cidr); or set spec.podCIDR on the Node once',
    );
  throw new CommandError(`the API server gave no usable answer (waited ${waited}): ${lastProblem.message}`, lastProblem.fix);
}

export interface NodeDirs {
  /** Where the node's root is mounted (/ when run on the node itself). */
  hostRoot: string;
  /** The node's CNI plugin directory, as the node names it. */
  binDir: string;
  /** The node's CNI configuration directory, as the node names it. */
  confDir: string;
}

/** The node's directories seen through the host root; every path must be absolute and normal. */
export function nodePaths(dirs: NodeDirs): { binDir: string; confDir: string } {
  const check = (option: string, value: string) => {
    const problem = configPathProblem(value);
    if (problem)
      throw new CommandError(`${option} ${JSON.stringify(value)}: ${problem}`, `give ${option} as an absolute path without "." or ".."`);
  };
  check('--host-root', dirs.hostRoot);
  check('--bin-dir', dirs.binDir);
  check('--conf-dir', dirs.confDir);
  return { binDir: join(dirs.hostRoot, dirs.binDir), confDir: join(dirs.hostRoot, dirs.confDir) };
}

const TEMP = /^\.10-cni-zones\.conflist\.(\d+)\.tmp$/;

/**
 * Write the conflist unless it holds this text already: a temp file (named after our pid,
 * never a *.conflist a runtime would load) renamed over the target. A symlink at the target
 * is replaced, not followed. Whether it was written.
 */
function writeConfList(dir: string, text: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  collectStaleTemps(dir, (name) => {
    const match = TEMP.exec(name);
    return match ? Number(match[1]) : undefined;
  });
  const path = join(dir, KUBE_CONFLIST_FILE);
  try {
    if (readFileNoFollow(path) === text) return false;
  } catch {
    // missing, a symlink (ELOOP) or unreadable: written below
  }
  replaceFile(path, join(dir, `.${KUBE_CONFLIST_FILE}.${process.pid}.tmp`), text, 0o644);
  return true;
}

export interface SetupReport {
  facts: NodeFacts;
  binDir: string;
  binaries: ItemOutcome[];
  conflist: string;
  conflistWritten: boolean;
}

/** Steps 2 and 3 for a node whose facts are known: the plugins, then the conflist (paths from nodePaths). */
export async function installOnNode(
  paths: { binDir: string; confDir: string },
  executable: string,
  settings: KubeSettings,
  facts: NodeFacts,
): Promise<SetupReport> {
  const text = renderConfList(kubeConfList(settings, facts));
  // The node's copy is ours: an older version (an upgrade) or a planted file is replaced.
  const binaries = await applyInstall(compiledItems(paths.binDir, executable), { force: true });
  const conflistWritten = writeConfList(paths.confDir, text);
  return { facts, binDir: paths.binDir, binaries, conflist: join(paths.confDir, KUBE_CONFLIST_FILE), conflistWritten };
}
