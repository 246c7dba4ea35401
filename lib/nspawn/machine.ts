// A machine's names: one string is the systemd-nspawn machine (`%i` of systemd-nspawn@.service),
// the CNI container ID and the network namespace /run/netns/<machine>, so it must be valid as all three.
import { CniError, ErrorCode } from '../cni/errors.js';
import { NETNS_RUN_DIR } from '../netns/named.js';

// The intersection of nspawn's hostname rule, a CNI container ID and an `ip netns` name.
const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Why `name` cannot name a machine, or undefined when it can. */
export function machineNameProblem(name: string): string | undefined {
  if (!MACHINE_NAME.test(name)) return 'it must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit';
  if (name.includes('..')) return 'it must not contain ".."';
  return undefined;
}

export function validateMachineName(name: string): void {
  const problem = machineNameProblem(name);
  if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `invalid machine name "${name}"`, problem);
}

/** /run/netns/<machine>: the namespace `zonectl up` makes and nspawn joins. */
export function machineNetnsPath(machine: string): string {
  validateMachineName(machine);
  return `${NETNS_RUN_DIR}/${machine}`;
}
