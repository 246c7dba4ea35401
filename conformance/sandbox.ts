// The fresh world of one case: a private "host" namespace where the plugins run, container
// namespaces on demand, a state directory (the profile's `{{stateDir}}`), a result cache and
// the plugin shims. `cleanup` stops what the case started and removes all of it, also after
// a failure, and says what it could not remove; `abandonAllSandboxes` does the same
// synchronously for a harness that is interrupted.
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Namespace, NamespaceGroup, removeNamespace } from './netns.js';
import { writeShims } from './shim.js';

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

class CaseSandbox implements Sandbox {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly pluginDirs: string[];
  private readonly namespaces = new NamespaceGroup();
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

  namespace(role: string): Promise<Namespace> {
    return this.namespaces.create(role);
  }

  async removeNamespace(ns: Namespace): Promise<void> {
    await removeNamespace(ns);
  }

  defer(fn: () => unknown): void {
    this.namespaces.defer(fn);
  }

  cleanup(): Promise<string[]> {
    this.cleaned ??= this.removeAll();
    return this.cleaned;
  }

  /** The same as cleanup, synchronously and quietly: for a harness that is being stopped. */
  abandon(): void {
    this.namespaces.abandon();
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  private async removeAll(): Promise<string[]> {
    const problems = [...(await this.namespaces.cleanup())];
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
