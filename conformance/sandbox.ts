// The fresh world of one case: a private "host" namespace where the plugins run, container
// namespaces on demand, a state directory (the profile's `{{stateDir}}`), a result cache and
// the plugin shims. `cleanup` stops what the case started and removes all of it, also after
// a failure, and says what it could not remove; `abandonAllSandboxes` does the same
// synchronously for a harness that is interrupted.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, namespaceName, removeNamespace, type Namespace } from './netns.js';
import { writeShims } from './shim.js';
import { findExecutable } from '../lib/system/programs.js';

export interface Sandbox {
  readonly host: Namespace;
  readonly dir: string;
  /** Replaces `{{stateDir}}` in the conflist. */
  readonly stateDir: string;
  /** The runtime's result cache (lib/runtime). */
  readonly cacheDir: string;
  /** CNI_PATH: the shims. */
  readonly pluginDirs: string[];
  /** A new namespace (a container, or a client outside the host). */
  namespace(role: string): Promise<Namespace>;
  /** Remove a namespace early (the runtime deleting a container's netns). */
  removeNamespace(ns: Namespace): Promise<void>;
  /** Run at cleanup, before the namespaces go (last registered first). */
  defer(fn: () => unknown): void;
  /** Remove everything; resolves with the problems it met. Idempotent. */
  cleanup(): Promise<string[]>;
}

export interface SandboxOptions {
  /** Where case directories go (default: the OS temp directory). */
  tmpRoot?: string;
  /** Plugin name → executable, from the profile's plugin directories. */
  plugins: ReadonlyMap<string, string>;
}

export type SandboxFactory = (options: SandboxOptions) => Promise<Sandbox>;

const live = new Set<CaseSandbox>();

function deleteNamespaceSync(name: string): void {
  try {
    execFileSync(findExecutable('ip') ?? 'ip', ['netns', 'delete', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

class CaseSandbox implements Sandbox {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly pluginDirs: string[];
  private readonly namespaces: Namespace[] = [];
  private readonly deferred: (() => unknown)[] = [];
  private readonly pending = new Set<string>();
  private cleaned: Promise<string[]> | undefined;

  private hostNamespace: Namespace | undefined;

  constructor(readonly dir: string) {
    this.stateDir = join(dir, 'state');
    this.cacheDir = join(dir, 'cache');
    this.pluginDirs = [join(dir, 'bin')];
    live.add(this);
  }

  get host(): Namespace {
    if (!this.hostNamespace) throw new Error('the sandbox has no host namespace yet');
    return this.hostNamespace;
  }

  /** The host namespace, the directories and the shims. */
  async prepare(plugins: ReadonlyMap<string, string>): Promise<void> {
    this.hostNamespace = await this.namespace('host');
    await Promise.all([mkdir(this.stateDir), mkdir(this.cacheDir), mkdir(this.pluginDirs[0] as string)]);
    await writeShims(this.pluginDirs[0] as string, plugins, this.hostNamespace.path);
  }

  async namespace(role: string): Promise<Namespace> {
    // Known before it exists, so an interrupted harness also removes one being created.
    const name = namespaceName(role);
    this.pending.add(name);
    try {
      const ns = await createNamespace(role, name);
      this.namespaces.push(ns);
      return ns;
    } finally {
      this.pending.delete(name);
    }
  }

  async removeNamespace(ns: Namespace): Promise<void> {
    await removeNamespace(ns);
  }

  defer(fn: () => unknown): void {
    this.deferred.push(fn);
  }

  cleanup(): Promise<string[]> {
    this.cleaned ??= this.removeAll();
    return this.cleaned;
  }

  /** The same as cleanup, synchronously and quietly: for a harness that is being stopped. */
  abandon(): void {
    for (const fn of [...this.deferred].reverse()) {
      try {
        void fn();
      } catch {
        // stopping anyway
      }
    }
    const names = [...[...this.namespaces].reverse().map((ns) => ns.name), ...this.pending];
    names.forEach(deleteNamespaceSync);
    // An `ip netns add` still running may finish after the first sweep.
    for (let i = 0; i < 10 && this.pending.size; i++) {
      sleepSync(100);
      [...this.pending].filter((name) => existsSync(`/run/netns/${name}`)).forEach(deleteNamespaceSync);
    }
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  private async removeAll(): Promise<string[]> {
    const problems: string[] = [];
    for (const fn of [...this.deferred].reverse()) {
      try {
        await fn();
      } catch (e) {
        problems.push(`cleanup step failed: ${(e as Error).message}`);
      }
    }
    for (const ns of [...this.namespaces].reverse()) {
      try {
        await removeNamespace(ns);
      } catch (e) {
        problems.push(`cannot remove namespace ${ns.name}: ${(e as Error).message}`);
      }
    }
    await rm(this.dir, { recursive: true, force: true }).catch((e: Error) => problems.push(`cannot remove ${this.dir}: ${e.message}`));
    // Only now: an interrupt during the removal still finds it and finishes the job.
    live.delete(this);
    return problems;
  }
}

/** Remove every sandbox still in use (on SIGINT/SIGTERM); returns how many there were. */
export function abandonAllSandboxes(): number {
  const count = live.size;
  for (const sandbox of [...live]) sandbox.abandon();
  return count;
}

/** A sandbox with its host namespace, directories and shims ready. */
export const createSandbox: SandboxFactory = async (options) => {
  const root = options.tmpRoot ?? tmpdir();
  await mkdir(root, { recursive: true });
  const sandbox = new CaseSandbox(await mkdtemp(join(root, `czt-conformance-${process.pid}-`)));
  try {
    await sandbox.prepare(options.plugins);
    return sandbox;
  } catch (e) {
    await sandbox.cleanup();
    throw e;
  }
};
