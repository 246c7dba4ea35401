// DEL: take an attachment away by what names it — network, container ID, ifname — and never by
// the rest of the configuration, which may have changed since ADD or be broken (SPEC: DEL
// cleans up as much as it can). Published ports go by their record and tag, the host end of
// the veth by its derived name (the container end goes with it), the addresses by their owner
// in the store. Every step runs even when one before it failed, and all failures are reported
// together; whatever is already gone counts as done. The bridge stays: it is the zone.
//
// CNI_NETNS is never opened: nothing of DEL happens inside the container. A namespace that is
// gone, the host's own namespace or a path that is no namespace at all (a FIFO, a file) so
// cannot make DEL touch the host or hang; such a DEL cleans up by the names above and succeeds.
import { existsSync } from 'node:fs';
import type { Request } from '../cni/dispatch.js';
import { asCniError, CniError } from '../cni/errors.js';
import { Rtnl } from '../rtnl/client.js';
import { portsDel, portsOwner, wantsPorts } from '../ports/commands.js';
import { loadPortsConfigForDel } from '../ports/config.js';
import { statePath } from '../ports/state.js';
import { runIpamDel } from './ipam.js';
import { hostVethName } from './names.js';

export async function detach(req: Request): Promise<void> {
  const failures: CniError[] = [];
  const step = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (e) {
      failures.push(asCniError(e));
    }
  };
  // Published ports first: their target address is still this container's.
  await step(async () => (hasPorts(req) ? portsDel(req) : undefined));
  await step(() => removeHostVeth(req.env.containerId, req.env.ifname));
  await step(() => runIpamDel(req));
  if (failures.length > 0) throw combined(failures);
}

/** The DEL config may lack the capability ADD had: the record ADD wrote says it too. */
function hasPorts(req: Request): boolean {
  if (wantsPorts(req)) return true;
  try {
    return existsSync(statePath(loadPortsConfigForDel(req.conf).stateDir, portsOwner(req)));
  } catch {
    // A portsStateDir that does not pass the path rule never held a record: ADD refuses it when it publishes.
    return false;
  }
}

async function removeHostVeth(containerId: string, ifname: string): Promise<void> {
  const host = await Rtnl.open();
  try {
    // Deleting one end of a veth deletes the other, wherever its namespace is.
    await host.deleteLinkIfExists(hostVethName(containerId, ifname));
  } finally {
    host.close();
  }
}

/** The first failure's code; every failure in the text, so none is lost. */
function combined(failures: readonly CniError[]): CniError {
  const [first] = failures as [CniError, ...CniError[]];
  if (failures.length === 1) return first;
  const details = failures.map((f) => (f.details ? `${f.message} (${f.details})` : f.message)).join('; ');
  return new CniError(first.code, `${failures.length} steps of DEL failed, the first: ${first.message}`, details);
}
