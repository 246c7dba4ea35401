// IP addresses for every module: parsing and canonical text (address.ts), prefixes, subnets
// and containment (cidr.ts), the kernel's bytes and family numbers (bytes.ts). No node:
// imports: it is on every plugin's start-up path.
export * from './address.js';
export * from './bytes.js';
export * from './cidr.js';
