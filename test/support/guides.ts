// The guides under docs/guides/ are run, so a guide cannot rot. A guide is Markdown with:
//
//   <!-- guide: env=machine packages=podman,containerd -->   near the top: where it runs
//   ```sh            a block run as root with `bash -euo pipefail` in /root/guide, in document order
//   ```sh host=2     the same on the second host of an env=two-hosts guide
//   ```output        right after a `sh` block (prose in between is fine): each non-empty line is
//                    found in that block's stdout+stderr, in order, each on the line after the
//                    previous one's; a line `...` lets any number of lines pass in between
//   <!-- not run: REASON -->   right before a `sh` block: shown, not run (tools Debian 12 lacks)
//
// Other fences (json, ini, text, console) are only shown. The environments: env=machine is one
// booted Debian 12 machine (systemd-machine.ts) with the packages in its root; env=two-hosts is
// two of them joined by an underlay (guide-hosts.ts). The package file from dist/deb/ is placed
// in /root/guide on every host. `tools=cnitool` in the header binds the cnitool that
// test/support/cnitool.ts builds from Debian's source into the machine as /usr/local/bin/cnitool.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildCnitool } from './cnitool.js';
import type { GuideEnv, GuideEnvOptions } from './guide-env.js';
import { openTwoHosts } from './guide-hosts.js';
import { repoRoot } from './paths.js';
import { bootSystemdMachine, type MachineBind } from './systemd-machine.js';

const guidesDir = join(repoRoot, 'docs/guides');
const debDir = join(repoRoot, 'dist/deb');
const headerSearchLines = 10;
const blockTimeoutMs = 10 * 60_000;
const outputTailChars = 6_000;
const knownTools = ['cnitool'] as const;
type GuideTool = (typeof knownTools)[number];

export interface GuideStep {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  host: number;
  script: string;
  /** The lines of the `output` block that follows, if any. */
  expected?: string[];
  /** Why the block is not run (`<!-- not run: REASON -->`), if it is not. */
  notRun?: string;
}

export interface Guide {
  name: string;
  env: 'machine' | 'two-hosts';
  packages: string[];
  tools: GuideTool[];
  steps: GuideStep[];
}

export class GuideFormatError extends Error {}

const HEADER = /<!--\s*guide:\s*(.*?)\s*-->/;
const NOT_RUN = /^<!--\s*not run:\s*(.+?)\s*-->$/;
const FENCE = /^(`{3,}|~{3,})\s*(.*)$/;

function parseHeader(name: string, lines: readonly string[]): Pick<Guide, 'env' | 'packages' | 'tools'> {
  const found = lines
    .slice(0, headerSearchLines)
    .map((line) => HEADER.exec(line))
    .find((match) => match !== null);
  if (!found) throw new GuideFormatError(`${name}: no <!-- guide: env=... --> comment in its first ${headerSearchLines} lines`);
  const fields = new Map<string, string>();
  for (const word of (found[1] as string).split(/\s+/)) {
    const [key, value] = word.split('=', 2);
    if (key === undefined || value === undefined || value === '')
      throw new GuideFormatError(`${name}: header word ${JSON.stringify(word)} is not key=value`);
    fields.set(key, value);
  }
  const env = fields.get('env');
  if (env !== 'machine' && env !== 'two-hosts')
    throw new GuideFormatError(`${name}: env must be machine or two-hosts, not ${JSON.stringify(env)}`);
  const list = (key: string) => (fields.get(key) ?? '').split(',').filter((item) => item !== '');
  const tools = list('tools');
  const unknown = tools.filter((tool) => !(knownTools as readonly string[]).includes(tool));
  if (unknown.length > 0) throw new GuideFormatError(`${name}: unknown tools ${unknown.join(', ')} (known: ${knownTools.join(', ')})`);
  const extra = [...fields.keys()].filter((key) => !['env', 'packages', 'tools'].includes(key));
  if (extra.length > 0) throw new GuideFormatError(`${name}: unknown header keys ${extra.join(', ')}`);
  return { env, packages: list('packages'), tools: tools as GuideTool[] };
}

interface Fence {
  line: number;
  info: string;
  body: string[];
  /** The `<!-- not run -->` reason on the last non-blank line before the fence, if any. */
  notRun?: string;
}

function fences(name: string, lines: readonly string[]): Fence[] {
  const found: Fence[] = [];
  let lastText = '';
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) {
      if ((lines[i] as string).trim() !== '') lastText = (lines[i] as string).trim();
      continue;
    }
    const marker = open[1] as string;
    const start = i;
    const body: string[] = [];
    const closes = (line: string) =>
      line.trim().length >= marker.length && line.trim() === (marker[0] as string).repeat(line.trim().length);
    for (i++; i < lines.length && !closes(lines[i] as string); i++) body.push(lines[i] as string);
    if (i >= lines.length) throw new GuideFormatError(`${name}:${start + 1}: code block never closed`);
    const notRun = NOT_RUN.exec(lastText)?.[1];
    found.push({ line: start + 1, info: (open[2] as string).trim(), body, ...(notRun === undefined ? {} : { notRun }) });
    lastText = '';
  }
  return found;
}

function shHost(name: string, fence: Fence): number | undefined {
  const words = fence.info.split(/\s+/);
  if (words[0] !== 'sh') return undefined;
  let host = 1;
  for (const word of words.slice(1)) {
    const match = /^host=([1-9]\d*)$/.exec(word);
    if (!match) throw new GuideFormatError(`${name}:${fence.line}: unknown sh option ${JSON.stringify(word)}`);
    host = Number(match[1]);
  }
  return host;
}

/** A guide's header and runnable blocks; throws GuideFormatError for a guide the runner cannot run. */
export function parseGuide(name: string, markdown: string): Guide {
  const lines = markdown.split('\n');
  const header = parseHeader(name, lines);
  const steps: GuideStep[] = [];
  let previous: Fence | undefined;
  for (const fence of fences(name, lines)) {
    const host = shHost(name, fence);
    if (host !== undefined) {
      if (header.env === 'machine' && host !== 1) throw new GuideFormatError(`${name}:${fence.line}: host=${host} in an env=machine guide`);
      if (host > 2) throw new GuideFormatError(`${name}:${fence.line}: there are two hosts, not ${host}`);
      steps.push({
        line: fence.line,
        host,
        script: `${fence.body.join('\n')}\n`,
        ...(fence.notRun === undefined ? {} : { notRun: fence.notRun }),
      });
    } else if (fence.info === 'output') {
      const step = steps.at(-1);
      if (previous === undefined || shHost(name, previous) === undefined || step === undefined) {
        throw new GuideFormatError(`${name}:${fence.line}: an output block must follow a sh block`);
      }
      if (step.notRun !== undefined) throw new GuideFormatError(`${name}:${fence.line}: an output block after a block that is not run`);
      step.expected = fence.body.map((line) => line.trimEnd()).filter((line) => line.trim() !== '');
    } else if (fence.notRun !== undefined) {
      throw new GuideFormatError(
        `${name}:${fence.line}: <!-- not run --> before a ${fence.info || 'plain'} block, which is never run anyway`,
      );
    }
    previous = fence;
  }
  if (!steps.some((step) => step.notRun === undefined))
    throw new GuideFormatError(`${name}: no block is run (a guide needs at least one \`sh\` block)`);
  return { name, ...header, steps };
}

/**
 * Where `expected` fails to match `output` (undefined when it matches): each expected line is a
 * substring of an output line, the first anywhere, each next one on the line right after the
 * previous match unless a `...` line stands between them.
 */
export function outputMismatch(expected: readonly string[], output: string): string | undefined {
  const lines = output.replaceAll('\r', '').split('\n');
  if (matchesFrom(expected, lines, 0, 0, true)) return undefined;
  // Matching a prefix is monotonic: the first line whose prefix fails is the one to name.
  let matched = 0;
  while (matched < expected.length && matchesFrom(expected.slice(0, matched + 1), lines, 0, 0, true)) matched++;
  const after = matched > 0 ? ` after the line matching ${JSON.stringify(expected[matched - 1])}` : '';
  return `expected line ${matched + 1} ${JSON.stringify(expected[matched])} not found${after}`;
}

function matchesFrom(expected: readonly string[], lines: readonly string[], at: number, from: number, anywhere: boolean): boolean {
  if (at === expected.length) return true;
  if (expected[at] === '...') return matchesFrom(expected, lines, at + 1, from, true);
  const want = expected[at] as string;
  const last = anywhere ? lines.length - 1 : Math.min(from, lines.length - 1);
  for (let i = from; i <= last; i++) {
    if ((lines[i] as string).includes(want) && matchesFrom(expected, lines, at + 1, i + 1, false)) return true;
  }
  return false;
}

export interface GuideRun {
  ran: GuideStep[];
  skipped: GuideStep[];
  /** A readable account of the block that failed, if one did. */
  failure?: string;
}

function tail(text: string): string {
  return text.length > outputTailChars ? `...${text.slice(-outputTailChars)}` : text;
}

function describeFailure(guide: Guide, step: GuideStep, why: string, output: string): string {
  const script = step.script.trimEnd().replaceAll(/^/gm, '    ');
  return `docs/guides/${guide.name}.md:${step.line}: ${why}\n  block (host ${step.host}):\n${script}\n  output:\n${tail(output).replaceAll(/^/gm, '    ')}`;
}

/** Run the guide's blocks in order in `env`, up to the first one that fails. */
export async function runGuideSteps(guide: Guide, env: GuideEnv, timeoutMs = blockTimeoutMs): Promise<GuideRun> {
  const run: GuideRun = { ran: [], skipped: [] };
  for (const step of guide.steps) {
    if (step.notRun !== undefined) {
      run.skipped.push(step);
      continue;
    }
    const { exitCode, output } = await env.run(step.script, step.host, timeoutMs);
    run.ran.push(step);
    if (exitCode !== 0) return { ...run, failure: describeFailure(guide, step, `exit code ${exitCode}`, output) };
    const mismatch = step.expected === undefined ? undefined : outputMismatch(step.expected, output);
    if (mismatch !== undefined) return { ...run, failure: describeFailure(guide, step, `output does not match: ${mismatch}`, output) };
  }
  return run;
}

/** The guides under docs/guides/ by name (file name without .md). */
export function guideNames(): string[] {
  return readdirSync(guidesDir)
    .filter((file) => file.endsWith('.md'))
    .map((file) => basename(file, '.md'))
    .sort();
}

export function readGuide(name: string): Guide {
  return parseGuide(name, readFileSync(join(guidesDir, `${name}.md`), 'utf8'));
}

/** The package `make deb` built (dist/deb/cni-zones_<version>_amd64.deb). */
export function packageFile(): string {
  const debs = existsSync(debDir) ? readdirSync(debDir).filter((file) => /^cni-zones_.+_amd64\.deb$/.test(file)) : [];
  if (debs.length !== 1)
    throw new Error(`expected one cni-zones_<version>_amd64.deb in ${debDir} (run make deb), found: ${debs.join(', ') || 'none'}`);
  return join(debDir, debs[0] as string);
}

const guideDir = '/root/guide';
// The block's output on one stream, stdin closed; the exit code of bash itself.
const runInGuideDir = `cd ${guideDir} || exit 125; exec bash -euo pipefail -c "$1" </dev/null 2>&1`;
const machineEnv = { HOME: '/root', LANG: 'C.UTF-8', TERM: 'dumb', DEBIAN_FRONTEND: 'noninteractive' };

async function toolBinds(tools: readonly GuideTool[]): Promise<MachineBind[]> {
  const binds: MachineBind[] = [];
  for (const tool of tools) if (tool === 'cnitool') binds.push({ host: await buildCnitool(), machine: '/usr/local/bin/cnitool' });
  return binds;
}

// What makes the test machine like an ordinary host before a guide runs; none of it is in the
// guides because a real host needs none of it:
// - nspawn mounts /proc/sys read-only; a network namespace of its own (this one) has its
//   net.* settings writable on a host, and the plugins set some (route_localnet for 127.0.0.1).
// - The machine's root is an overlayfs, which overlayfs cannot use as an upper directory: the
//   image stores of podman and containerd get a tmpfs, and podman's overlay driver still fails
//   its whiteout check in the machine (mknod refused), so podman stores images with vfs here.
// - cgroup v1 here, with no controller delegated to the machine: podman runs containers
//   without cgroups of their own (containers.conf drop-in); a host's cgroup v2 needs nothing.
//   containerd's shim runs `runc` from PATH, and runc cannot do without cgroups: a guide that
//   lists crun beside containerd gets /usr/local/sbin/runc running crun without cgroups and
//   without a session keyring (nspawn's seccomp filter refuses keyctl).
// - /etc/protocols (netbase, which every Debian host but a minbase root has): without it nft
//   lists protocols as numbers, and the plugins' CHECK of published ports then fails (reported).
// - A host address and a default route (192.0.2.10 on a veth whose other end stays in the machine), as a host has on its uplink.
const machinePreparation = `
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,rw /proc/sys/net
for store in /var/lib/containers /var/lib/containerd; do mkdir -p "$store"; mount -t tmpfs -o mode=0711 tmpfs "$store"; done
if [ -d /etc/containers ]; then
  mkdir -p /etc/containers/containers.conf.d
  printf '[containers]\ncgroups = "disabled"\n' >/etc/containers/containers.conf.d/50-test-machine.conf
  printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' >/etc/containers/storage.conf
fi
if command -v crun >/dev/null && command -v containerd >/dev/null; then
  cat >/usr/local/sbin/runc <<'EOF'
#!/bin/sh
for arg; do shift; set -- "$@" "$arg"; if [ "$arg" = create ]; then set -- "$@" --no-new-keyring; fi; done
exec crun --cgroup-manager=disabled "$@"
EOF
  chmod 755 /usr/local/sbin/runc
fi
ip link add uplink0 type veth peer name uplink1
ip link set uplink1 up
ip link set uplink0 up
ip address add 192.0.2.10/24 dev uplink0
ip route add default via 192.0.2.1 dev uplink0
mkdir -p ${guideDir}
`;

/** One booted Debian 12 machine with the guide's packages, the package file in /root/guide. */
async function openMachine(options: GuideEnvOptions, binds: readonly MachineBind[]): Promise<GuideEnv> {
  const machine = await bootSystemdMachine({ packages: options.packages, bindReadOnly: binds, bootTimeoutMs: 60_000 });
  try {
    const prepared = await machine.exec('sh', ['-exc', machinePreparation], { reject: false });
    if (prepared.exitCode !== 0) throw new Error(`cannot prepare the guide machine:\n${prepared.stdout}\n${prepared.stderr}`);
    const protocols = await machine.exec('test', ['-e', '/etc/protocols'], { reject: false });
    if (protocols.exitCode !== 0) await machine.copyIn('/etc/protocols', '/etc/protocols');
    await machine.copyIn(options.debFile, join(guideDir, basename(options.debFile)));
  } catch (error) {
    await machine.stop();
    throw error;
  }
  return {
    async run(script, host, timeoutMs) {
      if (host !== 1) return { exitCode: 125, output: `env=machine has one host, not ${host}` };
      const result = await machine.exec('bash', ['-c', runInGuideDir, 'bash', script], { reject: false, timeoutMs, env: machineEnv });
      const timedOut = result.exitCode === undefined;
      return { exitCode: result.exitCode ?? 124, output: `${result.stdout}${timedOut ? `\n[killed after ${timeoutMs / 1000} s]` : ''}` };
    },
    stop: () => machine.stop(),
  };
}

/** Open the guide's environment with the package file in it; the caller stops it. */
export async function openGuideEnv(guide: Guide, debFile: string): Promise<GuideEnv> {
  const options: GuideEnvOptions = { packages: guide.packages, debFile };
  if (guide.env === 'two-hosts') {
    if (guide.tools.length > 0) throw new Error(`${guide.name}: tools= is for env=machine guides`);
    return openTwoHosts(options);
  }
  return openMachine(options, await toolBinds(guide.tools));
}
