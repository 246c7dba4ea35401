// Small pieces the cases share: failing steps worded for the report, an attachment that keeps
// the network's shared state (a bridge, a table) in place while another comes and goes, the
// stand-in prevResult for protocol checks, and version applicability.
import { isCniError } from '../../lib/cni/errors.js';
import { convertResult, parseResult } from '../../lib/cni/result.js';
import type { Result } from '../../lib/cni/types.js';
import { versionAtLeast } from '../../lib/cni/version.js';
import type { Attachment, CaseContext } from '../context.js';
import type { CapabilityArgs, Profile } from '../profile.js';

/** `code 7: msg (details)` for any error a runtime operation threw. */
export function describeError(e: unknown): string {
  if (isCniError(e)) return `code ${e.code}: ${e.message}${e.details ? ` (${e.details.replace(/\s+/g, ' ').slice(0, 240)})` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

/** Run a step the case depends on; its failure fails the case with `what` in front. */
export async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${what} failed: ${describeError(e)}`);
  }
}

/** Run a step whose failure is the finding; resolves with the error text, or undefined on success. */
export async function attempt(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    return describeError(e);
  }
}

/**
 * ADD an attachment that stays for the rest of the case, so a snapshot taken now already holds
 * what the network shares between containers, and a later diff shows only per-attachment state.
 */
export async function addKeeper(ctx: CaseContext, capabilityArgs?: CapabilityArgs): Promise<Attachment> {
  const keeper = await ctx.attachment({ role: 'keeper' });
  await step('ADD of the keeper attachment', () => ctx.add(keeper, { ...(capabilityArgs && { capabilityArgs }) }));
  return keeper;
}

/**
 * Capability arguments for a keeper next to an attachment that uses `args`: the same kind of
 * port mappings (so shared chains or tables exist before), on other host ports; no requested
 * IP or MAC, which only one attachment can have.
 */
export function keeperCapabilityArgs(args: CapabilityArgs): CapabilityArgs {
  if (!args.portMappings) return {};
  const taken = new Set(args.portMappings.map((m) => m.hostPort));
  const free = (port: number): number => {
    let p = port;
    while (taken.has(p)) p = p >= 65535 ? 1024 : p + 1;
    taken.add(p);
    return p;
  };
  return { portMappings: args.portMappings.map((m) => ({ ...m, hostPort: free(m.hostPort) })) };
}

/** A plausible prevResult for protocol checks of chained plugins (CHECK, chained ADD). */
export function standInResult(version: string, att: Attachment): Result {
  return parseResult(
    convertResult(
      {
        cniVersion: version,
        interfaces: [{ name: att.ifname, sandbox: att.netns.path }],
        ips: [{ address: '192.0.2.2/24', gateway: '192.0.2.1', interface: 0 }],
      },
      version,
    ),
  );
}

export function claimsVersionAtLeast(profile: Profile, min: string): boolean {
  return profile.claims.versions.some((v) => versionAtLeast(v, min));
}

/** n/a reason for commands that exist from `min` on. */
export function needsVersion(min: string, command: string): (profile: Profile) => string | undefined {
  return (profile) =>
    claimsVersionAtLeast(profile, min)
      ? undefined
      : `${command} exists from spec ${min} on; the set claims ${profile.claims.versions.join(', ')}`;
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
