import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../cli/zonectl/kube/api.js';
import { nodeFacts } from '../../../../cli/zonectl/kube/node.js';
import { parseSettings } from '../../../../cli/zonectl/kube/settings.js';
import { type Clock, installOnNode, nodePaths, waitForPodSubnets } from '../../../../cli/zonectl/kube/setup.js';
import { makeTestTempDir } from '../../../support/paths.js';

/** A clock whose sleeps pass at once, and the timeouts each request was given. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const withSubnet = { metadata: { name: 'w1' }, spec: { podCIDR: '10.244.1.0/24' } };
const without = { metadata: { name: 'w1' }, spec: {} };

describe('waitForPodSubnets', () => {
  it('asks again until the Node has a pod subnet, each request within what is left of the wait', async () => {
    const clock = fakeClock();
    const answers: unknown[] = [without, new ApiError('no answer', true), withSubnet];
    const timeouts: number[] = [];
    const facts = await waitForPodSubnets(
      async (timeoutMs) => {
        timeouts.push(timeoutMs);
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer;
      },
      'w1',
      60_000,
      clock,
    );
    expect(facts.podSubnets).toHaveLength(1);
    expect(timeouts).toEqual([10_000, 10_000, 10_000]);
    expect(clock.slept).toEqual([2000, 2000]);
  });

  it('fails after the wait, saying the Node has no pod subnet and how many times it asked', async () => {
    const clock = fakeClock();
    const wait = waitForPodSubnets(async () => without, 'w1', 7000, clock);
    await expect(wait).rejects.toThrow('the Node w1 has no spec.podCIDR (waited 7 s, 4 requests)');
    await expect(wait).rejects.toMatchObject({ fix: expect.stringContaining('--allocate-node-cidrs=true') });
    expect(clock.now()).toBeLessThanOrEqual(7000);
  });

  it('fails after the wait with the last transient failure', async () => {
    const wait = waitForPodSubnets(
      async () => {
        throw new ApiError('cannot reach the API server at https://10.96.0.1: ECONNREFUSED', true);
      },
      'w1',
      3000,
      fakeClock(),
    );
    await expect(wait).rejects.toThrow('the API server gave no usable answer (waited 3 s, 2 requests): cannot reach the API server');
  });

  it('fails at once on what asking again cannot change', async () => {
    let requests = 0;
    const forbidden = async () => {
      requests += 1;
      throw new ApiError('the service account may not read the Node w1 (403)', false, 'apply the ClusterRole');
    };
    await expect(waitForPodSubnets(forbidden, 'w1', 60_000, fakeClock())).rejects.toMatchObject({
      message: expect.stringContaining('403'),
      fix: 'apply the ClusterRole',
    });
    await expect(waitForPodSubnets(async () => ({ metadata: { name: 'w2' } }), 'w1', 60_000, fakeClock())).rejects.toThrow(/named "w2"/);
    expect(requests).toBe(1);
  });

  it('never gives a request less than a second, even at the end of the wait', async () => {
    const timeouts: number[] = [];
    await expect(
      waitForPodSubnets(
        async (ms) => {
          timeouts.push(ms);
          return without;
        },
        'w1',
        500,
        fakeClock(),
      ),
    ).rejects.toThrow(/1 request\)/);
    expect(timeouts).toEqual([1000]);
  });
});

describe('nodePaths', () => {
  it("joins the node's paths under the host root", () => {
    expect(nodePaths({ hostRoot: '/host', binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d' })).toEqual({
      binDir: '/host/opt/cni/bin',
      confDir: '/host/etc/cni/net.d',
    });
  });

  it.each([
    [{ hostRoot: 'host', binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d' }, /--host-root "host": it is not an absolute path/],
    [
      { hostRoot: '/host', binDir: '/opt/../etc', confDir: '/etc/cni/net.d' },
      /--bin-dir "\/opt\/..\/etc": it contains "." or ".." segments/,
    ],
    [{ hostRoot: '/host', binDir: '/opt/cni/bin', confDir: 'etc' }, /--conf-dir "etc"/],
  ])('refuses %j', (dirs, message) => {
    expect(() => nodePaths(dirs)).toThrow(message);
  });
});

describe('installOnNode', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTestTempDir('kube-setup');
    writeFileSync(join(dir, 'executable'), 'the compiled executable');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const facts = nodeFacts('w1', withSubnet);

  it('copies the executable with its links, writes the conflist, and leaves both alone when they are current', async () => {
    const paths = nodePaths({ hostRoot: join(dir, 'root'), binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d' });
    const report = await installOnNode(paths, join(dir, 'executable'), parseSettings({}), facts);
    expect(report.binaries.map((o) => o.action)).toEqual(['installed', 'installed', 'installed', 'installed', 'installed']);
    expect(readFileSync(join(paths.binDir, 'cni-zones'), 'utf8')).toBe('the compiled executable');
    expect(readlinkSync(join(paths.binDir, 'zone-ipam'))).toBe('cni-zones');
    expect(report.conflistWritten).toBe(true);
    expect(JSON.parse(readFileSync(report.conflist, 'utf8'))).toMatchObject({ name: 'k8s-pods' });

    const again = await installOnNode(paths, join(dir, 'executable'), parseSettings({}), facts);
    expect(again.binaries.every((o) => o.action === 'unchanged')).toBe(true);
    expect(again.conflistWritten).toBe(false);
    expect(readdirSync(paths.confDir)).toEqual(['10-cni-zones.conflist']);
  });

  it('writes nothing when the conflist cannot be made', async () => {
    const paths = nodePaths({ hostRoot: join(dir, 'root'), binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d' });
    const settings = parseSettings({ multiHost: { clusterSubnets: ['10.245.0.0/16'], vxlan: { vni: 1, peers: [] } } });
    await expect(installOnNode(paths, join(dir, 'executable'), settings, facts)).rejects.toThrow(/lies in none of the cluster subnets/);
    expect(() => lstatSync(join(dir, 'root'))).toThrow(/ENOENT/);
  });

  it('removes the temp file a killed writer left, and never leaves one of its own', async () => {
    const paths = nodePaths({ hostRoot: join(dir, 'root'), binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d' });
    mkdirSync(paths.confDir, { recursive: true });
    // pid 2^22 + 1 is above the kernel's pid_max: no such writer runs.
    writeFileSync(join(paths.confDir, '.10-cni-zones.conflist.4194305.tmp'), 'half');
    await installOnNode(paths, join(dir, 'executable'), parseSettings({}), facts);
    expect(readdirSync(paths.confDir)).toEqual(['10-cni-zones.conflist']);
  });
});
