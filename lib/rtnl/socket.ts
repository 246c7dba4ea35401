// The rtnetlink socket: the `netlink` package is imported on first use (a plugin that never
// touches links does not pay for it), and the socket is made inside the target namespace,
// where it stays for its whole life, whatever namespace the thread is in afterwards.
// Only the package's rtnetlink module is loaded, not its index: the index also loads the
// generated nl80211/genl/wireguard tables, which cost several times more start-up time than
// rtnetlink itself (see test/e2e/rtnl-bench.test.ts). The path is stable for the pinned 0.3.0.

import type { RtNetlinkSocket } from 'netlink';
import { requireNative } from '../libc/native.js';
import { inNetns, type NetnsTarget } from '../netns/enter.js';

/** The part of RtNetlinkSocket the client uses; tests hand in a fake. */
export type RtSocket = Pick<
  RtNetlinkSocket,
  | 'getLink'
  | 'getLinks'
  | 'newLink'
  | 'setLink'
  | 'delLink'
  | 'getAddresses'
  | 'newAddress'
  | 'delAddress'
  | 'getRoutes'
  | 'newRoute'
  | 'delRoute'
>;

/** Request modifiers (linux/netlink.h); numeric here so that no value import of `netlink` is needed. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

/** The kernel always answers; the timeout only guards against a wedged socket. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface RequestFlags {
  flags?: number;
  timeout: number;
}

export function requestOptions(flags = 0): RequestFlags {
  return flags === 0 ? { timeout: REQUEST_TIMEOUT_MS } : { flags, timeout: REQUEST_TIMEOUT_MS };
}

type RtModule = typeof import('netlink/dist/rt/rt.js');

let rtModule: Promise<RtModule> | undefined;

export function loadNetlink(): Promise<RtModule> {
  rtModule ??= Promise.resolve().then(() => requireNative<RtModule>('netlink/dist/rt/rt.js'));
  return rtModule;
}

/** A socket in `netns` (a path, fd or handle), or in the thread's own namespace when undefined. */
export async function openRtSocket(netns?: NetnsTarget): Promise<RtNetlinkSocket> {
  const { createRtNetlink } = await loadNetlink();
  return netns === undefined ? createRtNetlink() : inNetns(netns, () => createRtNetlink());
}

export function closeRtSocket(socket: RtNetlinkSocket): void {
  socket.socket.close();
}
