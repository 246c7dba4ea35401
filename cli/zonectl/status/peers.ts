// Whether each peer host of a multi-host zone answers: one ICMP echo to the peer's underlay
// address, sent from `vxlan.local` (the source of the zone's VXLAN packets, so the route and the
// address it tests are the tunnel's), with a reply waited for PEER_WAIT_S; the peers are pinged
// at once, PARALLEL_PINGS at a time, so a status with three peers takes a second at most. An
// answer says the host is up and routed both ways from `local`; no answer says only that: the
// host may be down or unrouted, or drop ping while it lets VXLAN's UDP through.
// The system's ping does it (a raw ICMP socket needs root or ping_group_range, which ping has
// sorted out): iputils `ping` where installed, else `busybox ping`; both take these options.
import { findExecutable } from '../../../lib/system/programs.js';
import { type ProcessResult, runProcess } from '../../../lib/system/process.js';
import { mapLimited } from './limited.js';

/** Seconds each ping waits for its reply. */
const PEER_WAIT_S = 1;
/** ping is killed after this long, whatever it waits for (a name lookup, a stuck send). */
const PING_TIMEOUT_MS = 3_000;
const PARALLEL_PINGS = 16;

export interface PeerAnswer {
  answers: boolean;
  /** Round trip in milliseconds, when it answered. */
  rttMs?: number;
  /** What ping said when it got no answer for a reason (`sendto: Network is unreachable`), or why it could not run. */
  reason?: string;
}

export type Run = (file: string, args: readonly string[], options: { timeoutMs: number }) => Promise<ProcessResult>;

/** The ping to run: the program and the arguments before ping's own; undefined when there is none. */
export function pingCommand(find: (name: string) => string | undefined): { file: string; prefix: string[] } | undefined {
  const ping = find('ping');
  if (ping !== undefined) return { file: ping, prefix: [] };
  const busybox = find('busybox');
  return busybox === undefined ? undefined : { file: busybox, prefix: ['ping'] };
}

/** `ping: sendto: Network is unreachable` → `sendto: Network is unreachable`; the last line said. */
function lastWords(text: string): string | undefined {
  const line = text.trim().split('\n').at(-1)?.trim();
  return line ? line.replace(/^ping: /, '') : undefined;
}

/** What one ping's run says of the peer. */
export function answerOf(result: ProcessResult): PeerAnswer {
  if (result.timedOut) return { answers: false, reason: `ping did not end within ${PING_TIMEOUT_MS / 1000} s` };
  if (result.exitCode === 0) {
    const rtt = /time[=<]([0-9.]+) ?ms/.exec(result.stdout)?.[1];
    return { answers: true, ...(rtt !== undefined && { rttMs: Number(rtt) }) };
  }
  const reason = lastWords(result.stderr);
  return { answers: false, ...(reason !== undefined && { reason }) };
}

/** One echo from `local` to each peer; in the order of `peers`. */
export async function probePeers(
  local: string,
  peers: readonly string[],
  run: Run = runProcess,
  find: (name: string) => string | undefined = findExecutable,
): Promise<PeerAnswer[]> {
  const command = pingCommand(find);
  if (command === undefined) return peers.map(() => ({ answers: false, reason: 'neither ping nor busybox is installed' }));
  const args = (peer: string) => [...command.prefix, '-c', '1', '-W', String(PEER_WAIT_S), '-I', local, peer];
  return mapLimited(peers, PARALLEL_PINGS, async (peer) => {
    try {
      return answerOf(await run(command.file, args(peer), { timeoutMs: PING_TIMEOUT_MS }));
    } catch (e) {
      return { answers: false, reason: e instanceof Error ? e.message : String(e) };
    }
  });
}
