// What port publishing reads from the plugin configuration (the `zone-ports` entry of a
// chain, or the `zone` entry when it has the portMappings capability):
//   localhost      true (default): also on 127.0.0.0/8 and [::1]; "ipv4": 127.0.0.0/8 only (no
//                  [::1] proxies); false: neither
//   portsStateDir  where each attachment's elements are recorded for DEL (default /run/cni-zones/ports)
import * as z from 'zod/mini';
import type { NetConf } from '../cni/config.js';
import { ErrorCode } from '../cni/errors.js';
import { configPath } from '../cni/paths.js';
import { parseOrThrow } from '../cni/schema.js';

export const DEFAULT_STATE_DIR = '/run/cni-zones/ports';

export interface PortsConfig {
  /** Publish on 127.0.0.0/8. */
  localhost: boolean;
  /** Publish on [::1] too (proxies.ts). */
  localhost6: boolean;
  stateDir: string;
}

let schemas: ReturnType<typeof buildSchemas> | undefined;

export function buildSchemas() {
  const stateDir = { portsStateDir: z.optional(configPath()) };
  return {
    full: z.looseObject({ localhost: z.optional(z.union([z.boolean(), z.literal('ipv4')])), ...stateDir }),
    stateDir: z.looseObject(stateDir),
  };
}

export function loadPortsConfig(conf: NetConf): PortsConfig {
  schemas ??= buildSchemas();
  const raw = parseOrThrow(schemas.full, conf, ErrorCode.InvalidNetworkConfig, 'port publishing configuration');
  const localhost = raw.localhost ?? true;
  return { localhost: localhost !== false, localhost6: localhost === true, stateDir: raw.portsStateDir ?? DEFAULT_STATE_DIR };
}

/** DEL only needs to know where the records are: a `localhost` it cannot read does not stop it. */
export function loadPortsConfigForDel(conf: NetConf): PortsConfig {
  schemas ??= buildSchemas();
  const raw = parseOrThrow(schemas.stateDir, conf, ErrorCode.InvalidNetworkConfig, 'port publishing configuration');
  return { localhost: true, localhost6: true, stateDir: raw.portsStateDir ?? DEFAULT_STATE_DIR };
}
