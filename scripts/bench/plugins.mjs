// The executables the bench compares: our two build forms and Debian's reference plugins.
import { accessSync, constants } from 'node:fs';
import { REFERENCE_DIR, ROOT } from './core.mjs';

export const OUR_PLUGINS = ['zone', 'zone-ipam', 'zone-ports'];

/** Our build forms (scripts/build.mjs): the compiled executable first, it is what we ship. */
export const FORMS = [
  { form: 'compiled', label: 'compiled', dir: `${ROOT}/dist/native` },
  { form: 'node', label: 'Node bundle', dir: `${ROOT}/dist/bin` },
];

export const REFERENCE = { form: 'reference', label: 'reference (Go)', dir: REFERENCE_DIR };

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why a form cannot run, or undefined. */
export function formBlocker(form, plugins = OUR_PLUGINS) {
  const missing = plugins.filter((name) => !executable(`${form.dir}/${name}`));
  return missing.length
    ? `${missing.map((m) => `${form.dir.replace(`${ROOT}/`, '')}/${m}`).join(', ')} missing (run node scripts/build.mjs)`
    : undefined;
}

export function referenceBlocker(plugins) {
  const missing = plugins.filter((name) => !executable(`${REFERENCE_DIR}/${name}`));
  return missing.length
    ? `${missing.map((m) => `${REFERENCE_DIR}/${m}`).join(', ')} missing (apt-get install containernetworking-plugins)`
    : undefined;
}

/** The environment a runtime gives an attachment command (CNI_ARGS empty, as libcni sets it). */
export function cniEnv(command, { containerId, netns, ifname = 'eth0', path }) {
  return { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_ARGS: '', CNI_PATH: path };
}

/**
 * `zone` with zone-ipam in-process, on the netlink backend (no networkd in a bench namespace);
 * `range` narrows the subnet's one range (rangeStart, rangeEnd, gateway: a host of a multi-host zone).
 */
export function zoneConf({ network, subnet, dataDir, range = {}, extra = {} }) {
  return {
    cniVersion: '1.0.0',
    name: network,
    type: 'zone',
    zone: network,
    backend: 'netlink',
    ipMasq: true,
    // The names and the server's record beside the bench's IPAM store, never the machine's /run/cni-zones.
    nameServer: { stateDir: `${dataDir}/dns-state` },
    ...extra,
    ipam: { type: 'zone-ipam', dataDir, ranges: [[{ subnet, ...range }]], routes: [{ dst: '0.0.0.0/0' }] },
  };
}

/** The reference: bridge with host-local, gateway and masquerade as zone does them. */
export function bridgeConf({ network, bridge, subnet, dataDir }) {
  return {
    cniVersion: '1.0.0',
    name: network,
    type: 'bridge',
    bridge,
    isGateway: true,
    ipMasq: true,
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] },
  };
}

/** The two mappings of the ports and chain sections. */
export function twoMappings(base) {
  return [
    { hostPort: base, containerPort: 80, protocol: 'tcp' },
    { hostPort: base + 363, containerPort: 443, protocol: 'tcp' },
  ];
}
