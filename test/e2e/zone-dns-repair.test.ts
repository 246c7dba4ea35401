// `zonectl repair` after the zone's name server was killed: two machines up on a zone of the
// netlink backend (test/support/zonectl-world.ts), the client resolving web by name at the
// gateway (v4 and v6). The server process SIGKILLed from outside: the names go unanswered,
// `zonectl status` says the server does not run and names the fix, exiting 1, and its record
// still names the dead pid. `zonectl repair` (the compiled zonectl, as an administrator runs it)
// starts the server again on the gateways, records the new process, and the names answer;
// status is healthy and a second repair has nothing to do. The server killed once more, the
// machines go down: no server is left in the host's namespace, and the server's record goes with
// the last member although its process was already dead, so the state directory is empty.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ask } from '../support/dns-client.js';
import { poll } from '../support/poll.js';
import { privileged } from '../support/privileges.js';
import { addresses, createZonectlWorld, hostPart, netnsPathOf, useZonectlBundles, type ZonectlWorld } from '../support/zonectl-world.js';

const suite = privileged(['ip', 'nsenter', 'nft', 'sysctl']);
useZonectlBundles();

const GATEWAY4 = '10.89.0.1';
const GATEWAY6 = 'fd89::1';

interface StatusJson {
  healthy: boolean;
  zones: { zone: string; problems: string[]; nameServer?: { enabled: boolean; running?: boolean } }[];
}

/** The zone's name server record: `<stateDir>/<zone>.server.json` (the world's stateDir is <dir>/dns). */
function serverRecord(world: ZonectlWorld): { via: string; pid: number } | undefined {
  const path = join(world.dir, 'dns', `${world.network}.server.json`);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

/** Alive and not a zombie (a killed server's parent, zonectl, has long exited). */
function runs(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}

async function killServer(world: ZonectlWorld): Promise<number> {
  const record = serverRecord(world);
  expect(record?.via).toBe('process');
  const pid = record?.pid as number;
  expect(runs(pid)).toBe(true);
  process.kill(pid, 'SIGKILL');
  await poll(`the name server (pid ${pid}) to die`, 5_000, async () => (runs(pid) ? undefined : true));
  return pid;
}

async function status(world: ZonectlWorld): Promise<{ exitCode: number | undefined; json: StatusJson }> {
  const run = await world.zonectl(['status', '--json'], { runtime: true });
  return { exitCode: run.exitCode, json: JSON.parse(run.stdout) as StatusJson };
}

suite.describe('zonectl repair: the zone name server', () => {
  it('starts a killed name server again, and the last member takes its record along though it died', async () => {
    const world = await createZonectlWorld();
    const web = await world.up('web');
    const client = await world.up('client');
    const webName = `${web}.${world.network}.internal`;
    const webAddresses = (await addresses(netnsPathOf(web), 'eth0')).map(hostPart);
    const queries = [
      { server: GATEWAY4, name: webName, type: 'A' as const },
      { server: GATEWAY6, name: webName, type: 'AAAA' as const },
    ];
    const answered = [
      { rcode: 'NOERROR', answers: webAddresses.filter((a) => !a.includes(':')) },
      { rcode: 'NOERROR', answers: webAddresses.filter((a) => a.includes(':')) },
    ];
    expect(await ask(netnsPathOf(client), queries)).toEqual(answered);

    const killed = await killServer(world);
    // Nothing listens at the gateways any more (ICMP port unreachable, or silence).
    const unanswered = await ask(netnsPathOf(client), queries);
    expect(unanswered.map((r) => r.rcode)).toEqual([undefined, undefined]);
    const broken = await status(world);
    expect(broken.exitCode).toBe(1);
    const [zone] = broken.json.zones;
    expect(zone?.nameServer).toMatchObject({ enabled: true, running: false });
    expect(zone?.problems).toContain(`the zone's name server does not run; "zonectl repair" starts it`);
    expect(serverRecord(world)).toEqual({ via: 'process', pid: killed }); // status only reads

    const repair = await world.zonectl(['repair'], { runtime: true });
    expect(repair.exitCode, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toContain(`zone ${world.network}: restored name server on ${GATEWAY4}, ${GATEWAY6}`);
    expect(repair.stdout).not.toContain('NOT restored');
    const restarted = serverRecord(world);
    expect(restarted?.via).toBe('process');
    expect(restarted?.pid).not.toBe(killed);
    expect(runs(restarted?.pid as number)).toBe(true);

    expect(await ask(netnsPathOf(client), queries)).toEqual(answered);
    const healthy = await status(world);
    expect(healthy.exitCode, JSON.stringify(healthy.json)).toBe(0);
    expect(healthy.json.zones[0]?.nameServer).toMatchObject({ enabled: true, running: true });
    const again = await world.zonectl(['repair'], { runtime: true });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^nothing to repair: /);
    expect(serverRecord(world)).toEqual(restarted);

    // Killed again, then the members leave: the last DEL finds a dead server and its record.
    const dead = await killServer(world);
    for (const machine of [web, client]) {
      const down = await world.zonectl(['down', machine], { runtime: true });
      expect(down.exitCode, `${down.stdout}\n${down.stderr}`).toBe(0);
    }
    expect(runs(dead)).toBe(false);
    expect(readdirSync(join(world.dir, 'dns'))).toEqual([]);
  });
});
