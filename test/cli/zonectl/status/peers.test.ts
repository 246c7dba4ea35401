// The peer probe of `zonectl status` without pinging anything: which ping it runs with which
// arguments, what it makes of the run, and that the answers come back in the peers' order.
// test/e2e/zonectl-vxlan.test.ts pings a real peer and an address nobody has.
import { describe, expect, it } from 'vitest';
import { answerOf, pingCommand, probePeers, type Run } from '../../../../cli/zonectl/status/peers.js';
import type { ProcessResult } from '../../../../lib/system/process.js';

const ran = (result: Partial<ProcessResult>): ProcessResult => ({
  exitCode: 0,
  signal: undefined,
  stdout: '',
  stderr: '',
  timedOut: false,
  ...result,
});

/** A findExecutable that finds `names` in /usr/bin. */
const have = (names: string[]) => (name: string) => (names.includes(name) ? `/usr/bin/${name}` : undefined);

const BUSYBOX_OK = `PING 192.0.2.2 (192.0.2.2) from 192.0.2.1: 56 data bytes
64 bytes from 192.0.2.2: seq=0 ttl=64 time=0.082 ms

--- 192.0.2.2 ping statistics ---
1 packets transmitted, 1 packets received, 0% packet loss
round-trip min/avg/max = 0.082/0.082/0.082 ms
`;

describe('pingCommand', () => {
  it("takes the system's ping, else busybox's", () => {
    expect(pingCommand(have(['ping', 'busybox']))).toEqual({ file: '/usr/bin/ping', prefix: [] });
    expect(pingCommand(have(['busybox']))).toEqual({ file: '/usr/bin/busybox', prefix: ['ping'] });
    expect(pingCommand(have([]))).toBeUndefined();
  });
});

describe('answerOf', () => {
  it('reads an answer and its round trip (busybox and iputils word it alike)', () => {
    expect(answerOf(ran({ stdout: BUSYBOX_OK }))).toEqual({ answers: true, rttMs: 0.082 });
    expect(answerOf(ran({ stdout: '64 bytes from 192.0.2.2: icmp_seq=1 ttl=64 time=1.23 ms\n' }))).toEqual({ answers: true, rttMs: 1.23 });
    expect(answerOf(ran({ stdout: 'something else' }))).toEqual({ answers: true });
  });

  it('says no answer, with what ping said when it said something', () => {
    expect(answerOf(ran({ exitCode: 1, stdout: 'PING 192.0.2.9 (192.0.2.9) from 192.0.2.1: 56 data bytes\n' }))).toEqual({
      answers: false,
    });
    expect(answerOf(ran({ exitCode: 1, stderr: 'ping: sendto: Network is unreachable\n' }))).toEqual({
      answers: false,
      reason: 'sendto: Network is unreachable',
    });
    expect(answerOf(ran({ exitCode: undefined, signal: 'SIGKILL', timedOut: true }))).toEqual({
      answers: false,
      reason: 'ping did not end within 3 s',
    });
  });
});

describe('probePeers', () => {
  it('sends one echo from vxlan.local to each peer, waits a second, and keeps the order', async () => {
    const calls: string[] = [];
    const run: Run = async (file, args, options) => {
      calls.push(`${file} ${args.join(' ')} (${options.timeoutMs} ms)`);
      const peer = args.at(-1);
      // the first peer answers last: the order is the peers', not the answers'
      if (peer === '192.0.2.2') await new Promise((resolve) => setTimeout(resolve, 20));
      return peer === '192.0.2.3' ? ran({ exitCode: 1 }) : ran({ stdout: BUSYBOX_OK });
    };
    const answers = await probePeers('192.0.2.1', ['192.0.2.2', '192.0.2.3'], run, have(['busybox']));
    expect(answers).toEqual([{ answers: true, rttMs: 0.082 }, { answers: false }]);
    expect(calls).toEqual([
      '/usr/bin/busybox ping -c 1 -W 1 -I 192.0.2.1 192.0.2.2 (3000 ms)',
      '/usr/bin/busybox ping -c 1 -W 1 -I 192.0.2.1 192.0.2.3 (3000 ms)',
    ]);
  });

  it('says why when ping cannot run, or is not there', async () => {
    const run: Run = async () => {
      throw new Error('cannot run /usr/bin/ping: EACCES');
    };
    expect(await probePeers('192.0.2.1', ['192.0.2.2'], run, have(['ping', 'busybox']))).toEqual([
      { answers: false, reason: 'cannot run /usr/bin/ping: EACCES' },
    ]);
    expect(await probePeers('192.0.2.1', ['192.0.2.2'], run, have([]))).toEqual([
      { answers: false, reason: 'neither ping nor busybox is installed' },
    ]);
  });

  it('runs at most 16 pings at once', async () => {
    let running = 0;
    let most = 0;
    const run: Run = async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return ran({});
    };
    const peers = Array.from({ length: 40 }, (_, i) => `192.0.2.${i + 2}`);
    expect(await probePeers('192.0.2.1', peers, run, have(['ping']))).toHaveLength(40);
    expect(most).toBe(16);
  });
});
