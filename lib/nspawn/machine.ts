// A machine's names: one string is the systemd-nspawn machine (`%i` of systemd-nspawn@.service),
// the CNI container ID and the network namespace /run/netns/<machine>, so it must be valid as all three.
import { CniError, ErrorCode } from '../cni/errors.js';
import { machineNameProblem } from '../names/index.js';
import { NETNS_RUN_DIR } from '../netns/named.js';

export function validateMachineName(name: string): void {
  const problem = machineNameProblem(name);
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid machine name "${name}"`, problem);
}

/** /run/netns/<machine>: the namespace `zonectl up` makes and nspawn joins. */
export function machineNetnsPath(machine: string): string {
  validateMachineName(machine);
  return `${NETNS_RUN_DIR}/${machine}`;
}
