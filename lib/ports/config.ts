// What port publishing reads from the plugin configuration (the `zone-ports` entry of a
// chain, or the `zone` entry when it has the portMappings capability):
//   localhost      false turns exposure on 127.0.0.0/8 off (default true)
//   portsStateDir  where each attachment's elements are recorded for DEL (default /run/cni-zones/ports)
import * as z from 'zod/mini';
import type { NetConf } from '../cni/config.js';
import { ErrorCode } from '../cni/errors.js';
import { parseOrThrow } from '../cni/schema.js';

export const DEFAULT_STATE_DIR = '/run/cni-zones/ports';

export interface PortsConfig {
  localhost: boolean;
  stateDir: string;
}

let schema: ReturnType<typeof buildSchema> | undefined;

function buildSchema() {
  return z.looseObject({
    localhost: z.optional(z.boolean()),
    portsStateDir: z.optional(z.string().check(z.regex(/^\/[^\0]*$/, 'expected an absolute path'))),
  });
}

export function loadPortsConfig(conf: NetConf): PortsConfig {
  schema ??= buildSchema();
  const raw = parseOrThrow(schema, conf, ErrorCode.InvalidNetworkConfig, 'port publishing configuration');
  return { localhost: raw.localhost ?? true, stateDir: raw.portsStateDir ?? DEFAULT_STATE_DIR };
}
