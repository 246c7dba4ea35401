// [::1]:hostPort, which no kernel DNAT can reach, served by systemd-socket-proxyd: here without
// systemd as PID 1, so the plugin binds the listener itself and hands it to a detached proxy in
// the host namespace. An IPv4-only container and a dual-stack one are both reached through
// [::1]; an unmapped port is refused; DEL leaves neither listener nor process; GC stops the
// proxy of an attachment that is not valid; CHECK fails when the proxy is killed by hand; a
// second container asking for the same [::1] port gets 130 and nothing of its ADD stays.

import { readFileSync } from 'node:fs';
import { proxiesIn } from '../support/processes.js';
import { expect } from 'vitest';
import { type Netns, nsExec } from '../support/netns.js';
import { recordsIn } from '../support/ports-census.js';
import { privileged } from '../support/privileges.js';
import {
  type CniResult,
  createPortsWorld,
  expectCniError,
  GATEWAY,
  type Mapping,
  nftRuleset,
  probeMap,
  probesOf,
  portsTools,
  startServer,
} from '../support/ports-world.js';

const priv = privileged(portsTools);
const PORT_CONFLICT = 130;
const CHECK_FAILED = 131;

/** The result with only its IPv4 addresses: what a runtime passes for an IPv4-only container. */
function v4Only(result: CniResult): CniResult {
  return { ...result, ips: result.ips.filter((ip) => !ip.address.includes(':')) };
}

/** Listening TCP sockets on [::1] in `ns` (`ss` output lines). */
async function loopback6Listeners(ns: Netns): Promise<string[]> {
  const { stdout } = await nsExec(ns, 'ss', ['-Htln', 'src', '[::1]']);
  return stdout.split('\n').filter(Boolean);
}

const web: Mapping[] = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }];

priv.describe('zone-ports: [::1] through a proxy of ours (no systemd as PID 1)', () => {
  priv.it(
    'reaches an IPv4-only and a dual-stack container, refuses unmapped ports, and DEL leaves nothing',
    async () => {
      const world = await createPortsWorld();
      const v4 = await world.container('v4');
      const dual = await world.container('dual');
      const v4Result = v4Only(await world.zoneAdd(v4, 'px-v4'));
      const dualResult = await world.zoneAdd(dual, 'px-dual');
      await startServer(world.sandbox, v4, 'v4');
      await startServer(world.sandbox, dual, 'dual');
      const v4Call = { containerId: 'px-v4', container: v4, prevResult: v4Result, mappings: web };
      const dualCall = { containerId: 'px-dual', container: dual, prevResult: dualResult, mappings: [{ ...web[0]!, hostPort: 8082 }] };
      await world.portsOk('ADD', v4Call);
      await world.portsOk('ADD', dualCall);

      // The proxy connects from the host to the container: the IPv4 one sees the bridge's IPv4
      // address, the dual-stack one the IPv6 one.
      expect(
        await probeMap(world.host, [
          ...probesOf(['::1'], 8080, ['tcp']),
          ...probesOf(['::1'], 8082, ['tcp']),
          ...probesOf(['::1'], 8081, ['tcp']),
        ]),
      ).toEqual({
        'tcp [::1]:8080': `v4 ${GATEWAY.v4}`,
        'tcp [::1]:8082': `dual ${GATEWAY.v6}`,
        'tcp [::1]:8081': 'ECONNREFUSED',
      });
      expect(await loopback6Listeners(world.host)).toHaveLength(2);
      expect((await world.ports('CHECK', v4Call)).exitCode).toBe(0);

      // [::1] does not depend on the nft table: a flushed ruleset leaves it answering.
      await nsExec(world.host, 'nft', ['flush', 'ruleset']);
      expect(await probeMap(world.host, probesOf(['::1'], 8080, ['tcp']))).toEqual({ 'tcp [::1]:8080': `v4 ${GATEWAY.v4}` });

      await world.portsOk('DEL', { containerId: 'px-v4', mappings: web });
      await world.portsOk('DEL', { containerId: 'px-dual', mappings: [] });
      expect(await probeMap(world.host, [...probesOf(['::1'], 8080, ['tcp']), ...probesOf(['::1'], 8082, ['tcp'])])).toEqual({
        'tcp [::1]:8080': 'ECONNREFUSED',
        'tcp [::1]:8082': 'ECONNREFUSED',
      });
      expect(await loopback6Listeners(world.host)).toEqual([]);
      expect(proxiesIn(world.host.path)).toEqual([]);
      expect(recordsIn(world.stateDir)).toEqual([]);
    },
    120_000,
  );

  priv.it(
    'CHECK fails when the proxy is killed by hand, and a second container on the same [::1] port gets 130 with nothing left',
    async () => {
      const world = await createPortsWorld();
      const one = await world.container('one');
      const two = await world.container('two');
      const oneResult = v4Only(await world.zoneAdd(one, 'px-one'));
      const twoResult = v4Only(await world.zoneAdd(two, 'px-two'));
      await startServer(world.sandbox, one, 'one');
      const oneCall = { containerId: 'px-one', container: one, prevResult: oneResult, mappings: [{ ...web[0]!, hostIP: '::1' }] };
      await world.portsOk('ADD', oneCall);
      expect(await probeMap(world.host, probesOf(['::1'], 8080, ['tcp']))).toEqual({ 'tcp [::1]:8080': `one ${GATEWAY.v4}` });

      const before = await nftRuleset(world.host);
      const conflict = await world.ports('ADD', { containerId: 'px-two', container: two, prevResult: twoResult, mappings: web });
      const error = expectCniError(conflict, PORT_CONFLICT, /tcp\/\[::1\]:8080/);
      expect(error.msg).toContain('container px-one');
      expect(await nftRuleset(world.host)).toBe(before);
      expect(recordsIn(world.stateDir)).toHaveLength(1);
      expect(proxiesIn(world.host.path)).toHaveLength(1);
      expect(await probeMap(world.host, probesOf(['::1'], 8080, ['tcp']))).toEqual({ 'tcp [::1]:8080': `one ${GATEWAY.v4}` });

      const [pid] = proxiesIn(world.host.path);
      process.kill(pid as number, 'SIGKILL');
      const check = await world.ports('CHECK', oneCall);
      expect(expectCniError(check, CHECK_FAILED).msg).toMatch(/tcp\/\[::1\]:8080 → 10\.89\.0\.\d+:80 is not running/);

      await world.portsOk('DEL', { containerId: 'px-one', mappings: [] });
      expect(recordsIn(world.stateDir)).toEqual([]);
    },
    120_000,
  );

  priv.it(
    'GC stops the proxy of an attachment that is not valid and keeps the valid one',
    async () => {
      const world = await createPortsWorld();
      const keep = await world.container('keep');
      const gone = await world.container('gone');
      const keepResult = await world.zoneAdd(keep, 'px-keep');
      const goneResult = await world.zoneAdd(gone, 'px-gone');
      await startServer(world.sandbox, keep, 'keep');
      await world.portsOk('ADD', { containerId: 'px-keep', container: keep, prevResult: keepResult, mappings: web });
      await world.portsOk('ADD', {
        containerId: 'px-gone',
        container: gone,
        prevResult: goneResult,
        mappings: [{ ...web[0]!, hostPort: 8083 }],
      });
      expect(proxiesIn(world.host.path)).toHaveLength(2);

      await world.portsOk('GC', {
        containerId: 'px-keep',
        conf: { cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: 'px-keep', ifname: 'eth0' }] },
      });
      expect(proxiesIn(world.host.path)).toHaveLength(1);
      expect(await probeMap(world.host, [...probesOf(['::1'], 8080, ['tcp']), ...probesOf(['::1'], 8083, ['tcp'])])).toEqual({
        'tcp [::1]:8080': `keep ${GATEWAY.v6}`,
        'tcp [::1]:8083': 'ECONNREFUSED',
      });
      const [record] = recordsIn(world.stateDir);
      expect(JSON.parse(readFileSync(`${world.stateDir}/${record}`, 'utf8')).owner.containerId).toBe('px-keep');
      await world.portsOk('DEL', { containerId: 'px-keep', mappings: [] });
      expect(proxiesIn(world.host.path)).toEqual([]);
    },
    120_000,
  );
});
