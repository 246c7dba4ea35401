// Requests and stores for IPAM unit tests: a parsed request as dispatch builds it, and a
// fresh store directory under .test-tmp/ removed after the test.
import { rmSync } from 'node:fs';
import { onTestFinished } from 'vitest';
import type { GcRequest, Request } from '../../../lib/cni/dispatch.js';
import { parseNetConf } from '../../../lib/cni/config.js';
import { parseEnv, type Command } from '../../../lib/cni/env.js';
import type { Attachment } from '../../../lib/cni/types.js';
import { makeTestTempDir } from '../../support/paths.js';

export function tempDataDir(): string {
  const dir = makeTestTempDir('ipam');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RequestOptions {
  command?: Command;
  containerId?: string;
  ifname?: string;
  cniArgs?: string;
}

export function makeRequest(conf: object, options: RequestOptions = {}): Request {
  const command = options.command ?? 'ADD';
  const env = parseEnv(
    {
      CNI_COMMAND: command,
      CNI_CONTAINERID: options.containerId ?? 'c1',
      CNI_NETNS: '/run/netns/c1',
      CNI_IFNAME: options.ifname ?? 'eth0',
      CNI_PATH: '/opt/cni/bin',
      CNI_ARGS: options.cniArgs ?? '',
    },
    command,
  );
  const parsed = parseNetConf(JSON.stringify({ cniVersion: '1.1.0', name: 'testnet', type: 'zone-ipam', ...conf }));
  return { env, conf: parsed.conf, parsed, prevResult: parsed.prevResult };
}

export function makeGcRequest(conf: object, validAttachments: Attachment[] | undefined): GcRequest {
  return { ...makeRequest(conf, { command: 'GC' }), validAttachments };
}

/** An `ipam` section with one v4 range set, stored in `dataDir`. */
export function ipamConf(dataDir: string, extra: object = {}): { ipam: object } {
  return { ipam: { type: 'zone-ipam', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }]], ...extra } };
}

/** The error a promise or function fails with (for asserting on code and message). */
export async function failure(fn: () => unknown): Promise<{ code?: number; message: string; details?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as { code?: number; message: string; details?: string };
  }
  throw new Error('expected a failure, got success');
}
