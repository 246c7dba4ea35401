// deploy/kubernetes/cni-zones.yaml and docs/kubernetes.md against the code they describe: the
// manifest parses as YAML, its RBAC grants `get` on nodes and nothing else, its DaemonSet runs
// on the host network with a privileged init container whose command line the real zonectl
// parses (the executable where the Containerfile puts it, every option known, the host paths
// where --host-root, --bin-dir and --conf-dir look, the settings file in the mounted ConfigMap,
// whose config.json the real settings parser takes). The page's settings table lists exactly
// the fields of the settings schema, and its JSON examples are what the code reads and writes.
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseArgs } from '../../cli/zonectl/args.js';
import { findCommand } from '../../cli/zonectl/cli.js';
import { kubeConfList } from '../../cli/zonectl/kube/conflist.js';
import { nodeFacts } from '../../cli/zonectl/kube/node.js';
import { parseSettings, settingsSchema } from '../../cli/zonectl/kube/settings.js';
import { DEFAULT_CONF_DIR } from '../../lib/nspawn/runtime-paths.js';
import { DEFAULT_BIN_DIR } from '../../cli/zonectl/install/plan.js';
import { codeSpan, readDoc, tableRows } from './markdown.js';

// biome-ignore lint/suspicious/noExplicitAny: the manifest is checked field by field below
type Manifest = any;

const root = new URL('../../', import.meta.url).pathname;
const manifestText = readFileSync(join(root, 'deploy/kubernetes/cni-zones.yaml'), 'utf8');
const documents = parseAllDocuments(manifestText);
const objects: Manifest[] = Array.isArray(documents) ? documents.map((d) => d.toJS()) : [];

function one(kind: string): Manifest {
  const found = objects.filter((o) => o?.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
}

describe('deploy/kubernetes/cni-zones.yaml', () => {
  it('is YAML without errors or warnings, of the kinds the DaemonSet needs', () => {
    expect(Array.isArray(documents)).toBe(true);
    for (const d of documents as ReturnType<typeof parseAllDocuments> & unknown[]) {
      expect(d.errors).toEqual([]);
      expect(d.warnings).toEqual([]);
    }
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet']);
  });

  it('lets the service account get nodes, and nothing else', () => {
    const account = one('ServiceAccount');
    const role = one('ClusterRole');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    const binding = one('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
    expect(manifestText).toMatch(/RBAC cannot say\s+#?\s*"the Node this pod runs on"/);
  });

  it('runs on every node, on the host network, as the service account', () => {
    const daemonSet = one('DaemonSet');
    const pod = daemonSet.spec.template.spec;
    expect(daemonSet.metadata.namespace).toBe(one('ServiceAccount').metadata.namespace);
    expect(daemonSet.spec.selector.matchLabels).toEqual(daemonSet.spec.template.metadata.labels);
    expect(pod.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    expect(pod.hostNetwork).toBe(true);
    // One toleration without key or effect tolerates every taint: not-ready, control-plane, ...
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it("has a privileged init container whose command line is the real zonectl kube-node-setup's", () => {
    const pod = one('DaemonSet').spec.template.spec;
    expect(pod.initContainers).toHaveLength(1);
    const init = pod.initContainers[0];
    expect(init.securityContext).toEqual({ privileged: true });
    expect(init.env).toEqual([{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);

    // The executable where the Containerfile copies it, told its role.
    const containerfile = readFileSync(join(root, 'deploy/kubernetes/Containerfile'), 'utf8');
    const copy = /^COPY cni-zones (\S+)$/m.exec(containerfile);
    expect(copy?.[1]).toBeDefined();
    const [executable, role, ...rest] = init.command as string[];
    expect(executable).toBe(copy?.[1]);
    expect(role).toBe('zonectl');

    // Kubernetes expands $(VAR) from the container's env; every one used must be there.
    const argv = [...rest, ...(init.args as string[])];
    const variables = argv.flatMap((a) => [...a.matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1]));
    expect(variables).toEqual(['NODE_NAME']);
    const expanded = argv.map((a) => a.replaceAll('$(NODE_NAME)', 'worker-1'));
    const found = findCommand(expanded);
    expect(found?.command.spec.name).toBe('kube-node-setup');
    const args = parseArgs(found!.command.spec, found!.rest);
    expect(args.string('node')).toBe('worker-1');

    // Each host path the command writes to is a hostPath volume mounted at --host-root + path.
    const hostRoot = args.string('host-root') ?? '/';
    const mounts = new Map<string, string>((init.volumeMounts as Manifest[]).map((m) => [m.name, m.mountPath]));
    const hostPaths = (pod.volumes as Manifest[]).filter((v) => v.hostPath);
    expect(hostPaths.map((v) => v.hostPath.path).sort()).toEqual(
      [args.string('bin-dir') ?? DEFAULT_BIN_DIR, args.string('conf-dir') ?? DEFAULT_CONF_DIR].sort(),
    );
    for (const volume of hostPaths) expect(mounts.get(volume.name)).toBe(posix.join(hostRoot, volume.hostPath.path));

    // The settings file is a key of the mounted ConfigMap, and the real parser takes it.
    const config = args.string('config')!;
    const settingsVolume = (pod.volumes as Manifest[]).find((v) => v.configMap && mounts.get(v.name) === posix.dirname(config));
    expect(settingsVolume?.configMap.name).toBe(one('ConfigMap').metadata.name);
    const text = one('ConfigMap').data[posix.basename(config)];
    expect(typeof text).toBe('string');
    expect(parseSettings(JSON.parse(text))).toMatchObject({ network: 'k8s-pods', zone: 'k8s-pods', nameServer: false });
  });

  it('keeps the pod with an unprivileged pause container, and names a placeholder image marked to change', () => {
    const pod = one('DaemonSet').spec.template.spec;
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0].image).toMatch(/^registry\.k8s\.io\/pause:/);
    expect(pod.containers[0].securityContext.privileged).toBeUndefined();
    expect(pod.containers[0].securityContext.allowPrivilegeEscalation).toBe(false);
    const image: string = pod.initContainers[0].image;
    expect(image).toMatch(/^[a-z.]+\.invalid\//); // a reserved name (RFC 2606) that pulls from nowhere
    expect(manifestText).toMatch(new RegExp(`CHANGE THIS.*\\n\\s*image: ${image.replaceAll('.', '\\.')}`));
    expect(readDoc('docs/kubernetes.md')).toContain(image);
  });
});

/** Every field path of the settings schema: `a`, `a.b`. */
function fieldPaths(): string[] {
  interface Node {
    properties?: Record<string, Node>;
  }
  const paths: string[] = [];
  const walk = (node: Node, at: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = at ? `${at}.${key}` : key;
      paths.push(path);
      walk(child, path);
    }
  };
  walk(z.toJSONSchema(settingsSchema(), { io: 'input' }) as Node, '');
  return paths.sort();
}

/** The JSON code blocks of the page, parsed. */
function jsonBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
}

describe('docs/kubernetes.md', () => {
  const page = readDoc('docs/kubernetes.md');

  it('lists every field of the settings, and no other', () => {
    const documented = tableRows(page)
      .filter((row) => row.section === 'Settings')
      .map((row) => codeSpan(row.cells[0]))
      .filter((field): field is string => field !== undefined);
    expect(documented.sort()).toEqual(fieldPaths());
  });

  it('shows the conflist the code writes, and settings the code takes', () => {
    const [conflist, settings] = jsonBlocks(page);
    const facts = nodeFacts('n', { metadata: { name: 'n' }, spec: { podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] } });
    expect(conflist).toEqual(kubeConfList(parseSettings({}), facts));
    expect(parseSettings(settings).multiHost?.vxlan.vni).toBe(4242);
  });

  it('is linked from the README', () => {
    expect(readDoc('README.md')).toContain('(docs/kubernetes.md)');
  });
});
