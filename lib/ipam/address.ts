// shim for lib/zone, removed when it moves to lib/ip
export { type Address, formatSubnet, networkOf, parseAddress, parseCidr, sameAddress, type Subnet, subnetContains } from '../ip/index.js';
