// The one executable that holds every role: `zone`, `zone-ipam`, `zone-ports` and `zonectl`
// are links to it (or copies of it), and the name it was started by picks the role, as
// busybox does. Started under its own name, the role is the first argument instead:
// `cni-zones zonectl status`. Each role's module is imported only when chosen, so a plugin
// start evaluates that role's code alone.
import { basename } from 'node:path';

const roles: Record<string, () => Promise<unknown>> = {
  zone: () => import('../zone/main.js'),
  'zone-ipam': () => import('../zone-ipam/main.js'),
  'zone-ports': () => import('../zone-ports/main.js'),
  zonectl: () => import('../../cli/zonectl/main.js'),
  'zone-dns': () => import('../../lib/dns/main.js'),
};

const byName = basename(process.argv0);
let role = roles[byName];
if (!role) {
  // `cni-zones ROLE ARGS...`: drop ROLE, so the role sees its own arguments from argv[2] on.
  const [named] = process.argv.splice(2, 1);
  role = named === undefined ? undefined : roles[named];
}
if (role) {
  void role();
} else {
  process.stderr.write(`usage: cni-zones {${Object.keys(roles).join('|')}} [ARGS...]\n  or start it through a link named after the role\n`);
  process.exitCode = 2;
}
