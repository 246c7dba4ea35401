// The API client's set-up without a server (unit tests start none; test/e2e/kube-node-setup.test.ts
// talks to a real HTTPS server).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, apiAccess, nodeUrl } from '../../../../cli/zonectl/kube/api.js';
import { makeTestTempDir } from '../../../support/paths.js';

let dir: string;
let files: { tokenFile: string; caFile: string };
beforeEach(() => {
  dir = makeTestTempDir('kube-api');
  files = { tokenFile: join(dir, 'token'), caFile: join(dir, 'ca.crt') };
  writeFileSync(files.tokenFile, 'abc.def\n');
  writeFileSync(files.caFile, 'PEM');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('apiAccess', () => {
  it('finds the API server where a pod is told it is, IPv6 in brackets', () => {
    expect(apiAccess(files, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }).server.href).toBe(
      'https://10.96.0.1/',
    );
    expect(apiAccess(files, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }).server.href).toBe(
      'https://[fd00::1]:6443/',
    );
    const access = apiAccess({ ...files, apiServer: 'https://api.example:6443' }, {});
    expect(access.server.origin).toBe('https://api.example:6443');
    expect(access.token).toBe('abc.def');
    expect(access.ca.toString()).toBe('PEM');
  });

  it.each([
    [{}, {}, /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/],
    [{ apiServer: 'http://10.96.0.1' }, {}, /not an https URL: the token is never sent in the clear/],
    [{ apiServer: 'not a url' }, {}, /is not a URL/],
    [{ apiServer: 'https://x', tokenFile: '/nonexistent/token' }, {}, /cannot read the token file \/nonexistent\/token/],
    [{ apiServer: 'https://x', caFile: '/nonexistent/ca.crt' }, {}, /cannot read the CA file/],
  ])('refuses %j', (options, env, message) => {
    expect(() => apiAccess({ ...files, ...options }, env)).toThrow(message);
    expect(() => apiAccess({ ...files, ...options }, env)).toThrow(ApiError);
  });

  it('refuses a token file that holds no token', () => {
    writeFileSync(files.tokenFile, '\n');
    expect(() => apiAccess({ ...files, apiServer: 'https://x' }, {})).toThrow(/holds no token/);
  });
});

describe('nodeUrl', () => {
  it('names the Node under the server, keeping a path prefix and encoding the name', () => {
    expect(nodeUrl(new URL('https://10.96.0.1'), 'worker-1').href).toBe('https://10.96.0.1/api/v1/nodes/worker-1');
    expect(nodeUrl(new URL('https://proxy.example/k8s/'), 'a.b').href).toBe('https://proxy.example/k8s/api/v1/nodes/a.b');
    expect(nodeUrl(new URL('https://x'), 'a/b?c').pathname).toBe('/api/v1/nodes/a%2Fb%3Fc');
  });
});
