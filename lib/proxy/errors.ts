// The ::1 proxies' failures (a Failure of layer `proxy`): the CNI code for each reason is in
// the one table of lib/cni/errors.ts.
import { Failure } from '../system/failure.js';

/**
 * - `in-use`: another socket already listens on the port at ::1 (or on every IPv6 address)
 * - `unavailable`: systemd-socket-proxyd is not installed, or ::1 cannot be bound (lo down, IPv6 off)
 * - `start-failed`: the proxy or its units could not be started
 */
export type ProxyReason = 'in-use' | 'unavailable' | 'start-failed';

declare module '../system/failure.js' {
  interface FailureReasons {
    proxy: ProxyReason;
  }
}

export class ProxyError extends Failure<'proxy', ProxyReason> {
  constructor(reason: ProxyReason, message: string, details = '', options?: ErrorOptions) {
    super('proxy', reason, message, details, options);
    this.name = 'ProxyError';
  }
}

export function isProxyError(e: unknown, reason?: ProxyReason): e is ProxyError {
  return e instanceof ProxyError && (reason === undefined || e.reason === reason);
}
