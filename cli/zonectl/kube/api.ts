// Reading one Node from the Kubernetes API server: a GET of /api/v1/nodes/<name> over HTTPS
// with the service account's bearer token, checked against the cluster's CA. Node's own https
// module (Bun provides it in the compiled executable), no Kubernetes client library: one
// request with a bounded time and a bounded body is all the node's setup needs.
// In a pod the defaults are what Kubernetes gives every pod: the API server's service address
// in KUBERNETES_SERVICE_HOST/_PORT, the token and ca.crt under the service account directory.
// Failures are ApiErrors that say whether trying again may help (no answer, 5xx, 429) or
// not (401, 403, 404, an untrusted certificate, a body that is no JSON).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { formatHostPort } from '../../../lib/ip/index.js';
import { CommandError } from '../errors.js';
import { VERSION } from '../version.js';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const DEFAULT_TOKEN_FILE = `${SERVICE_ACCOUNT_DIR}/token`;
export const DEFAULT_CA_FILE = `${SERVICE_ACCOUNT_DIR}/ca.crt`;

/** A Node with every image the node holds listed can reach a few hundred KiB; more is no Node. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** A CommandError (so zonectl prints it with its fix) that also says whether asking again may help. */
export class ApiError extends CommandError {
  constructor(
    message: string,
    /** Asking again later may succeed. */
    readonly transient: boolean,
    fix = '',
  ) {
    super(message, fix);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  apiServer?: string;
  tokenFile?: string;
  caFile?: string;
}

export interface ApiAccess {
  server: URL;
  token: string;
  ca: Buffer;
  caFile: string;
}

function serverUrl(option: string | undefined, env: NodeJS.ProcessEnv): URL {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const text = option ?? (host && port ? `https://${formatHostPort(host, port)}` : undefined);
  if (text === undefined)
    throw new ApiError(
      'where is the API server? KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set',
      false,
      'give --api-server https://HOST:PORT (a pod has both variables)',
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ApiError(`the API server ${JSON.stringify(text)} is not a URL`, false, 'give --api-server https://HOST:PORT');
  }
  if (url.protocol !== 'https:')
    throw new ApiError(`the API server ${text} is not an https URL: the token is never sent in the clear`, false);
  return url;
}

function readSecret(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ApiError(
      `cannot read the ${what} ${path}: ${(e as Error).message}`,
      false,
      'in a pod, the service account mounts it; elsewhere give its path',
    );
  }
}

/** Where the API server is and how to prove who we are: the options given, else what Kubernetes gives a pod. */
export function apiAccess(options: ApiOptions, env: NodeJS.ProcessEnv = process.env): ApiAccess {
  const server = serverUrl(options.apiServer, env);
  const tokenFile = options.tokenFile ?? DEFAULT_TOKEN_FILE;
  const token = readSecret(tokenFile, 'token file').toString('utf8').trim();
  if (token === '' || /\s/.test(token))
    throw new ApiError(`the token file ${tokenFile} holds no token (empty, or more than one word)`, false);
  const caFile = options.caFile ?? DEFAULT_CA_FILE;
  return { server, token, ca: readSecret(caFile, 'CA file'), caFile };
}

/** The URL of a Node; a server URL with a path (behind a proxy) keeps it. */
export function nodeUrl(server: URL, name: string): URL {
  const url = new URL(server);
  url.pathname = `${server.pathname.replace(/\/+$/, '')}/api/v1/nodes/${encodeURIComponent(name)}`;
  return url;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'ENOTFOUND']);
const CERTIFICATE = /CERT|SIGNATURE|ISSUER|SSL|TLS/i;

function requestFailure(e: unknown, access: ApiAccess): ApiError {
  if (e instanceof ApiError) return e;
  const error = e as NodeJS.ErrnoException;
  const code = error.code ?? '';
  if (UNREACHABLE.has(code)) return new ApiError(`cannot reach the API server at ${access.server.origin}: ${error.message}`, true);
  if (CERTIFICATE.test(code) || CERTIFICATE.test(error.message))
    return new ApiError(
      `the API server at ${access.server.origin} is not trusted: ${error.message}${code ? ` (${code})` : ''}`,
      false,
      `the CA file ${access.caFile} must hold the CA that signed the API server's certificate (in a pod: the service account's ca.crt)`,
    );
  return new ApiError(
    `the request to the API server at ${access.server.origin} failed: ${error.message}${code ? ` (${code})` : ''}`,
    false,
  );
}

/** The `message` of a Kubernetes Status object, or the start of whatever else came back. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not a Status
  }
  return body.slice(0, 200).trim();
}

function answerFailure(status: number, body: string, name: string): ApiError {
  const said = statusMessage(body);
  const tail = said ? `: ${said}` : '';
  if (status === 401)
    return new ApiError(
      `the API server did not accept the token (401)${tail}`,
      false,
      'the token file must hold a valid service account token (in a pod, Kubernetes mounts it)',
    );
  if (status === 403)
    return new ApiError(
      `the service account may not read the Node ${name} (403)${tail}`,
      false,
      'apply the ClusterRole cni-zones-node-reader and its ClusterRoleBinding from deploy/kubernetes/cni-zones.yaml',
    );
  if (status === 404)
    return new ApiError(
      `the API server has no Node named ${name} (404)`,
      false,
      '--node must name this node: the DaemonSet passes spec.nodeName as NODE_NAME',
    );
  return new ApiError(`the API server answered ${status}${tail}`, status === 429 || status >= 500);
}

function parseBody(body: string, access: ApiAccess): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(`the API server at ${access.server.origin} answered with something that is not JSON`, false);
  }
}

/** The Node object `name`, as JSON; fails with an ApiError after `timeoutMs` at most. */
export function getNode(access: ApiAccess, name: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    const req = request(
      nodeUrl(access.server, name),
      {
        method: 'GET',
        ca: access.ca,
        agent: false,
        headers: { Authorization: `Bearer ${access.token}`, Accept: 'application/json', 'User-Agent': `cni-zones/${VERSION}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new ApiError(`the API server's answer is larger than ${MAX_BODY_BYTES} bytes`, false));
          else chunks.push(chunk);
        });
        res.on('end', () =>
          settle(() => {
            const body = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status === 200) {
              try {
                resolve(parseBody(body, access));
              } catch (e) {
                reject(e);
              }
            } else reject(answerFailure(status, body, name));
          }),
        );
        res.on('error', (e) => settle(() => reject(requestFailure(e, access))));
      },
    );
    const timer = setTimeout(
      () =>
        req.destroy(
          new ApiError(`the API server at ${access.server.origin} did not answer within ${Math.round(timeoutMs / 1000)} s`, true),
        ),
      timeoutMs,
    );
    req.on('error', (e) => settle(() => reject(requestFailure(e, access))));
    req.end();
  });
}
