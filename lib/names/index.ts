// Every name rule of the project, in one place: zone, network, interface, container ID, plugin
// type, named network namespace and nspawn machine. Each rule is one function that returns why a
// name is refused (a sentence starting with "it", for "invalid X "name": <reason>") or undefined
// when the name is fine; callers raise their own error with it. Depends on nothing.
//
// The rules are the narrowest every consumer of a name accepts alike:
// - a zone names the bridge `vz-<zone>` (IFNAMSIZ, as nspawn requires), networkd's file names and
//   nft comments `zone:<zone>` (which want a letter or digit first);
// - a network names directories, cache files and nft comments (libcni's rule); the zone plugin
//   also puts it into every host veth's alias, which bounds its length;
// - a container ID goes into file names, aliases and nft comments, so it is bounded too;
// - an interface name is what every tool shows and parses alike (the kernel takes more);
// - a DNS label (a container's or machine's name in its zone's name server) is the hostname
//   label of RFC 1123 in lowercase: what every resolver and every runtime's name rule accepts.

const LETTERS = 'letters A-Z a-z, digits, "_", "." and "-"';
/** A letter or digit, then letters, digits, `_`, `.` and `-`: libcni's rule for network names and container IDs. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `vz-<zone>` must fit IFNAMSIZ (16 with the NUL), as systemd-nspawn requires. */
const MAX_ZONE_NAME_LENGTH = 12;
/** IFNAMSIZ without the terminating NUL. */
const MAX_INTERFACE_NAME_LENGTH = 15;
// Runtimes use 64 hex digits (containerd allows 76); the bound keeps labels derived from an ID
// (the host veth's alias, nft comments, store files) within what the kernel and nft take.
export const MAX_CONTAINER_ID_LENGTH = 128;

/** The first word of the alias `cni-zones <network> <containerId> <ifname>` on each host veth. */
export const ATTACHMENT_ALIAS_PREFIX = 'cni-zones';
/** IFLA_IFALIAS holds 256 bytes with the terminating NUL. */
const MAX_ALIAS_LENGTH = 255;
/** The longest network name the zone plugin takes: the alias must fit with any valid container ID and ifname. */
export const MAX_ZONE_NETWORK_NAME_LENGTH =
  MAX_ALIAS_LENGTH - ATTACHMENT_ALIAS_PREFIX.length - 3 - MAX_CONTAINER_ID_LENGTH - MAX_INTERFACE_NAME_LENGTH;

const MAX_NAMESPACE_NAME_LENGTH = 64;

/** The plain wording of the zone rule, for remedies. */
export const ZONE_NAME_RULE = `1-${MAX_ZONE_NAME_LENGTH} characters of A-Z a-z 0-9 _ . -, starting with a letter or digit`;

/** Why `zone` cannot name a zone: 1-12 of [A-Za-z0-9_.-], a letter or digit first. */
export function zoneNameProblem(zone: string): string | undefined {
  if (zone === '') return 'it is empty';
  if (zone.length > MAX_ZONE_NAME_LENGTH) return `it is longer than ${MAX_ZONE_NAME_LENGTH} characters`;
  if (!FILE_NAME.test(zone)) return `it may hold only ${LETTERS}, starting with a letter or digit`;
  return undefined;
}

/** Why `name` cannot name a network (libcni's rule: it names directories, cache files and nft comments). */
export function networkNameProblem(name: string): string | undefined {
  if (!FILE_NAME.test(name)) return 'a network name starts with a letter or digit and holds only letters, digits, "_", "." and "-"';
  return undefined;
}

/** Why `name` cannot name a network of the zone plugin: the general rule, and room in the host veth's alias. */
export function zoneNetworkNameProblem(name: string): string | undefined {
  const problem = networkNameProblem(name);
  if (problem) return problem;
  if (name.length > MAX_ZONE_NETWORK_NAME_LENGTH)
    return `at most ${MAX_ZONE_NETWORK_NAME_LENGTH} characters: it is part of the label each host veth carries`;
  return undefined;
}

/** Why `id` cannot be a container ID of ours. */
export function containerIdProblem(id: string): string | undefined {
  if (!FILE_NAME.test(id)) return 'it must start with a letter or digit and hold only letters, digits, "_", "." and "-"';
  if (id.length > MAX_CONTAINER_ID_LENGTH) return `it is longer than ${MAX_CONTAINER_ID_LENGTH} characters`;
  return undefined;
}

// What the kernel takes (dev_valid_name) is wider: anything but "/", ":" and whitespace. We take
// the part every tool shows and parses alike; a leading "-" would read as an option to ip(8).
const INTERFACE_NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

/** Why `name` cannot be an interface name of ours (CNI_IFNAME, our bridges and veths). */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > MAX_INTERFACE_NAME_LENGTH) return `it is longer than ${MAX_INTERFACE_NAME_LENGTH} bytes`;
  if (name === '.' || name === '..') return 'it is "." or ".."';
  if (!INTERFACE_NAME.test(name)) return `it may hold only ${LETTERS}, and not start with "-"`;
  return undefined;
}

// Links other software made may use more of what the kernel takes; reading them by name (sysctl
// paths, /sys/class/net, our marker files) needs only a safe path component.
const LINK_NAME = /^(?!\.\.?$)[A-Za-z0-9_@+.-]{1,15}$/;

/** Why `name` cannot be read as an existing link's name: one path component of at most 15 safe bytes. */
export function linkNameProblem(name: string): string | undefined {
  if (!LINK_NAME.test(name))
    return `it must be 1-${MAX_INTERFACE_NAME_LENGTH} letters, digits, "_", "@", "+", "." or "-", and not "." or ".."`;
  return undefined;
}

/** Why `type` cannot be a plugin type: it is a file name looked up in CNI_PATH. */
export function pluginTypeProblem(type: string): string | undefined {
  if (!FILE_NAME.test(type)) return 'a plugin type is a file name';
  return undefined;
}

const MAX_DNS_LABEL_LENGTH = 63;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Why `label` cannot be one label of a DNS name of ours: 1-63 lowercase letters, digits and "-",
 * neither first nor last a "-". Names are lowercased before they are checked (DNS ignores case).
 */
export function dnsLabelProblem(label: string): string | undefined {
  if (label === '') return 'it is empty';
  if (label.length > MAX_DNS_LABEL_LENGTH) return `it is longer than ${MAX_DNS_LABEL_LENGTH} characters`;
  if (!DNS_LABEL.test(label)) return 'it may hold only lowercase letters a-z, digits and "-", and not start or end with "-"';
  return undefined;
}

const MAX_DNS_NAME_LENGTH = 253;

/** Why `name` (dotted labels, without a trailing dot) is no DNS name of lowercase labels. */
export function dnsNameProblem(name: string): string | undefined {
  if (name.length > MAX_DNS_NAME_LENGTH) return `it is longer than ${MAX_DNS_NAME_LENGTH} characters`;
  for (const label of name.split('.')) {
    const problem = dnsLabelProblem(label);
    if (problem) return `its label ${JSON.stringify(label.slice(0, 64))} is no DNS label: ${problem}`;
  }
  return undefined;
}

const NETNS_NAME = new RegExp(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,${MAX_NAMESPACE_NAME_LENGTH - 1}}$`);

/** Why `name` cannot name a namespace under /run/netns. */
export function netnsNameProblem(name: string): string | undefined {
  if (!NETNS_NAME.test(name))
    return `it must be 1-${MAX_NAMESPACE_NAME_LENGTH} letters, digits, "_", "." or "-", and not start with "." or "-"`;
  return undefined;
}

/**
 * Why `name` cannot name an nspawn machine of zonectl: one string is the machine (`%i` of
 * systemd-nspawn@.service), the CNI container ID and /run/netns/<machine>, so it must be valid as
 * all three (the intersection of nspawn's hostname rule, a container ID and a namespace name).
 */
export function machineNameProblem(name: string): string | undefined {
  if (!FILE_NAME.test(name) || name.length > MAX_NAMESPACE_NAME_LENGTH) {
    return `it must be 1-${MAX_NAMESPACE_NAME_LENGTH} letters, digits, "_", "." or "-", starting with a letter or digit`;
  }
  if (name.includes('..')) return 'it must not contain ".."';
  return undefined;
}
