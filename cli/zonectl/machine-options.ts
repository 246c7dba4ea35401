// Options and output shared by the commands that attach machines (up, nspawn enable).
import { DEFAULT_IFNAME } from '../../lib/nspawn/up.js';
import type { OptionSpec } from './args.js';
import { DEFAULT_NETWORK } from './example.js';

export const networkOption: OptionSpec = {
  name: 'network',
  short: 'n',
  kind: 'string',
  value: 'NAME',
  description: 'the CNI network (conflist "name") to join',
  defaultText: DEFAULT_NETWORK,
};

export const portOption: OptionSpec = {
  name: 'port',
  short: 'p',
  kind: 'list',
  value: '[PROTO:]HOST[:CONTAINER]',
  description: 'publish a port (repeatable), as systemd-nspawn --port;\nalso reachable on 127.0.0.1 of the host',
};

export const ifnameOption: OptionSpec = {
  name: 'ifname',
  kind: 'string',
  value: 'NAME',
  description: 'interface name inside the machine',
  defaultText: DEFAULT_IFNAME,
};
