// Capabilities (CONVENTIONS "Well-known Capabilities"; SPEC §3 "Deriving runtimeConfig"): the
// runtime's capability arguments reach the plugin as runtimeConfig, seen by their effect: the
// requested IP and MAC on the container interface, the host port answering from the container.
import { randomBytes } from 'node:crypto';
import { fail, pass, Problems, type ConformanceCase, type Verdict } from '../case.js';
import type { CaseContext } from '../context.js';
import { addDefaultRoute, bareAddress, connectNamespaces, hasAddress, link } from '../ip.js';
import { fetchToken, startTokenServer } from '../ports-probe.js';
import { claimsCapability, type Profile } from '../profile.js';
import { attempt, step } from './common.js';

function claimed(capability: string): (profile: Profile) => string | undefined {
  return (profile) => (claimsCapability(profile, capability) ? undefined : `the set does not claim the ${capability} capability`);
}

function undeclared(ctx: CaseContext, capability: string): Verdict | undefined {
  const declared = ctx.network().plugins.some((p) => p.capabilities[capability] === true);
  return declared ? undefined : fail(`no plugin of the conflist declares "capabilities": {"${capability}": true}`);
}

// The client side of the port-mapping probe: documentation addresses (RFC 5737).
const HOST_SIDE = { a: 'czt-cl-host', b: 'czt-cl-peer', addressA: '198.51.100.1/24', addressB: '198.51.100.2/24' };
const HOST_ADDRESS = '198.51.100.1';

export const capabilityCases: ConformanceCase[] = [
  {
    id: 'capabilities.ips',
    area: 'capabilities',
    title: 'runtimeConfig.ips: the container interface gets the requested addresses',
    clause: 'CONVENTIONS "Well-known Capabilities" (ips); SPEC §3 "Deriving runtimeConfig"',
    level: 'SHOULD',
    notApplicable: claimed('ips'),
    async run(ctx) {
      const bad = undeclared(ctx, 'ips');
      if (bad) return bad;
      const ips = ctx.profile.capabilityArgs.ips ?? [];
      const att = await ctx.attachment();
      const result = await step(`ADD with ips ${ips.join(', ')}`, () => ctx.add(att, { capabilityArgs: { ips } }));
      const info = await link(att.netns, att.ifname);
      const problems = new Problems();
      for (const ip of ips) {
        if (!info || !hasAddress(info, ip)) problems.add(`${ip} is not on ${att.ifname} (${info?.addresses.join(', ') ?? 'no interface'})`);
        if (!(result.ips ?? []).some((r) => bareAddress(r.address) === bareAddress(ip))) problems.add(`${ip} is not in the result`);
      }
      await attempt(() => ctx.del(att, { capabilityArgs: { ips } }));
      return problems.verdict(ips.join(', '));
    },
  },
  {
    id: 'capabilities.mac',
    area: 'capabilities',
    title: 'runtimeConfig.mac: the container interface gets the requested MAC',
    clause: 'CONVENTIONS "Well-known Capabilities" (mac); SPEC §3 "Deriving runtimeConfig"',
    level: 'SHOULD',
    notApplicable: claimed('mac'),
    async run(ctx) {
      const bad = undeclared(ctx, 'mac');
      if (bad) return bad;
      const mac = ctx.profile.capabilityArgs.mac ?? '';
      const att = await ctx.attachment();
      await step(`ADD with mac ${mac}`, () => ctx.add(att, { capabilityArgs: { mac } }));
      const info = await link(att.netns, att.ifname);
      await attempt(() => ctx.del(att, { capabilityArgs: { mac } }));
      if (!info) return fail(`no interface ${att.ifname}`);
      return info.mac?.toLowerCase() === mac.toLowerCase()
        ? pass(mac)
        : fail(`${att.ifname} has MAC ${info.mac ?? 'none'}, requested ${mac}`);
    },
  },
  {
    id: 'capabilities.portMappings',
    area: 'capabilities',
    title: 'runtimeConfig.portMappings: a client outside the host reaches the container port through the host port, and no more after DEL',
    clause: 'CONVENTIONS "Well-known Capabilities" (portMappings); SPEC §3 "Deriving runtimeConfig"',
    level: 'SHOULD',
    notApplicable: claimed('portMappings'),
    async run(ctx) {
      const bad = undeclared(ctx, 'portMappings');
      if (bad) return bad;
      const mappings = (ctx.profile.capabilityArgs.portMappings ?? []).filter((m) => m.protocol === 'tcp');
      if (!mappings.length) return fail('the profile gives no tcp port mapping to probe');
      const client = await ctx.sandbox.namespace('client');
      await connectNamespaces(ctx.sandbox.host, client, HOST_SIDE);
      await addDefaultRoute(client, HOST_ADDRESS);
      const att = await ctx.attachment();
      const portMappings = ctx.profile.capabilityArgs.portMappings ?? [];
      await step('ADD with portMappings', () => ctx.add(att, { capabilityArgs: { portMappings } }));
      const problems = new Problems();
      for (const m of mappings) {
        const token = `czt-${randomBytes(6).toString('hex')}`;
        const server = await startTokenServer(att.netns, m.containerPort, token);
        ctx.sandbox.defer(() => server.stop());
        const reply = await fetchToken(client, HOST_ADDRESS, m.hostPort);
        if (reply.token !== token)
          problems.add(`${HOST_ADDRESS}:${m.hostPort} → container :${m.containerPort} did not answer (${reply.error ?? reply.token})`);
      }
      const del = await attempt(() => ctx.del(att, { capabilityArgs: { portMappings } }));
      problems.add(del && `DEL failed: ${del}`);
      for (const m of mappings) {
        const after = await fetchToken(client, HOST_ADDRESS, m.hostPort, 1_500);
        if (after.token) problems.add(`${HOST_ADDRESS}:${m.hostPort} still answers after DEL`);
      }
      return problems.verdict(mappings.map((m) => `${m.hostPort}→${m.containerPort}/tcp`).join(', '));
    },
  },
];
