// GC of a network configuration list, as libcni does it: first DEL every attachment the cache
// holds for this network that is not in the valid list, then (1.1.0 or later) run GC on every
// plugin with the valid attachments. Failures do not stop the sweep; they are reported together.
import { asCniError, CniError } from '../cni/errors.js';
import { type Attachment, isListedAttachment } from '../cni/types.js';
import { versionAtLeast } from '../cni/version.js';
import { attachmentOfEntry, listCacheEntries } from './cache.js';
import type { CacheEntry } from './cache-format.js';
import type { NetworkConfigList } from './conf.js';
import { delNetworkList } from './del.js';
import { networkStdin } from './inject.js';
import { pluginFailed, runPlugin } from './invoke.js';
import { cacheDirOf, NO_ATTACHMENT, type ExecOptions } from './runtime-conf.js';

export interface GcOptions extends ExecOptions {
  /** Where the cached attachments are (default /var/lib/cni). */
  cacheDir?: string;
  /**
   * Stale attachments whose namespace is known gone (made in an earlier boot): their DEL names
   * no namespace, since a namespace at the cached path now is someone else's.
   */
  namespaceGone?: readonly Attachment[];
}

function isValid(entry: CacheEntry, valid: readonly Attachment[]): boolean {
  return isListedAttachment(valid, attachmentOfEntry(entry));
}

async function deleteStaleAttachments(list: NetworkConfigList, valid: readonly Attachment[], options: GcOptions): Promise<CniError[]> {
  const errors: CniError[] = [];
  const cached = await listCacheEntries(cacheDirOf(options), { networkName: list.name });
  for (const entry of cached.filter((e) => !isValid(e, valid))) {
    try {
      await delNetworkList(list, {
        ...options,
        containerId: entry.containerId,
        netns: isListedAttachment(options.namespaceGone ?? [], attachmentOfEntry(entry)) ? '' : (entry.netns ?? ''),
        ifname: entry.ifname,
        args: entry.cniArgs,
        capabilityArgs: entry.capabilityArgs,
      });
    } catch (e) {
      const error = asCniError(e);
      const what = `failed to delete stale attachment ${entry.containerId} ${entry.ifname}`;
      errors.push(new CniError(error.code, `${what}: ${error.message}`, error.details));
    }
  }
  return errors;
}

function gcInjection(valid: readonly Attachment[]): Record<string, unknown> {
  // The wire spells the ID as the spec does.
  const attachments = valid.map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
  // The spec first named the key `cni.dev/attachments` (cni issue 1101); plugins may read either.
  return { 'cni.dev/valid-attachments': attachments, 'cni.dev/attachments': attachments };
}

async function gcPlugins(list: NetworkConfigList, valid: readonly Attachment[], options: GcOptions): Promise<CniError[]> {
  const errors: CniError[] = [];
  const extra = gcInjection(valid);
  for (const plugin of list.plugins) {
    try {
      await runPlugin(plugin, 'GC', networkStdin(list, plugin, extra), NO_ATTACHMENT, options);
    } catch (e) {
      errors.push(pluginFailed(plugin, 'gc', e));
    }
  }
  return errors;
}

function joinErrors(list: NetworkConfigList, errors: CniError[]): CniError {
  if (errors.length === 1 && errors[0]) return errors[0];
  const lines = errors.map((e) => (e.details ? `${e.message}: ${e.details}` : e.message));
  return new CniError(errors[0]?.code ?? 100, `GC of network "${list.name}": ${errors.length} steps failed`, lines.join('\n'));
}

/** Garbage-collect a network, keeping `validAttachments`; does nothing when the list sets `disableGC`. */
export async function gcNetworkList(list: NetworkConfigList, validAttachments: readonly Attachment[], options: GcOptions): Promise<void> {
  if (list.disableGC) return;
  const errors = await deleteStaleAttachments(list, validAttachments, options);
  if (versionAtLeast(list.cniVersion, '1.1.0')) errors.push(...(await gcPlugins(list, validAttachments, options)));
  if (errors.length) throw joinErrors(list, errors);
}
