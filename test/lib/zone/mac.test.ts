import { describe, expect, it } from 'vitest';
import { parseNetConf } from '../../../lib/cni/config.js';
import type { Request } from '../../../lib/cni/dispatch.js';
import { parseEnv } from '../../../lib/cni/env.js';
import { CniError } from '../../../lib/cni/errors.js';
import { requestedMac } from '../../../lib/zone/plan.js';

function request(fields: object = {}, cniArgs = ''): Request {
  const env = parseEnv(
    {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/run/netns/c1',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin',
      CNI_ARGS: cniArgs,
    },
    'ADD',
  );
  const parsed = parseNetConf(JSON.stringify({ cniVersion: '1.1.0', name: 'web', type: 'zone', ...fields }));
  return { env, conf: parsed.conf, parsed };
}

function failure(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const runtime = '02:00:00:00:00:01';
const args = '02:00:00:00:00:02';
const env = '02:00:00:00:00:03';

describe('requestedMac', () => {
  it('is undefined when nobody asks for a MAC', () => {
    expect(requestedMac(request())).toBeUndefined();
  });

  it('prefers runtimeConfig.mac over args.cni.mac over CNI_ARGS MAC=', () => {
    expect(requestedMac(request({ runtimeConfig: { mac: runtime }, args: { cni: { mac: args } } }, `MAC=${env}`))).toBe(runtime);
    expect(requestedMac(request({ args: { cni: { mac: args } } }, `MAC=${env}`))).toBe(args);
    expect(requestedMac(request({}, `MAC=${env}`))).toBe(env);
  });

  it('writes the MAC in lower case', () => {
    expect(requestedMac(request({ runtimeConfig: { mac: '02:AB:CD:EF:00:01' } }))).toBe('02:ab:cd:ef:00:01');
  });

  it.each(['zz:00:00:00:00:01', '02:00:00:00:01', '02-00-00-00-00-01', '0200.0000.0001', '02:00:00:00:00:01:02', ''])(
    'refuses %j with code 7',
    (mac) => {
      const error = failure(() => requestedMac(request({ runtimeConfig: { mac } })));
      expect(error.code).toBe(7);
      expect(error.message).toMatch(/MAC/);
    },
  );

  it('refuses a bad MAC from CNI_ARGS too', () => {
    expect(failure(() => requestedMac(request({}, 'MAC=nonsense'))).code).toBe(7);
  });

  it('refuses a multicast MAC: an interface cannot own one', () => {
    const error = failure(() => requestedMac(request({ runtimeConfig: { mac: '01:00:5e:00:00:01' } })));
    expect(error.code).toBe(7);
    expect(error.message).toMatch(/multicast/);
  });
});
