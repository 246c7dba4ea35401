// `resolvConf`: a resolv.conf read into the result's `dns`, the way host-local reads it
// (nameserver, domain, search, options; comments and unknown keywords skipped).
import { readFileSync } from 'node:fs';
import { CniError, ErrorCode } from '../cni/errors.js';
import type { DNS } from '../cni/types.js';

export function parseResolvConf(text: string): DNS {
  const dns: DNS = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [keyword, ...values] = line.split(/\s+/);
    if (values.length === 0) continue;
    switch (keyword) {
      case 'nameserver':
        (dns.nameservers ??= []).push(values[0]!);
        break;
      case 'domain':
        dns.domain = values[0]!;
        break;
      case 'search':
        (dns.search ??= []).push(...values);
        break;
      case 'options':
        (dns.options ??= []).push(...values);
        break;
    }
  }
  return dns;
}

export function readResolvConf(path: string): DNS {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CniError(ErrorCode.InvalidNetworkConfig, `ipam.resolvConf ${path} does not exist`);
    throw new CniError(ErrorCode.IoFailure, `cannot read ipam.resolvConf ${path}`, (e as Error).message);
  }
}
