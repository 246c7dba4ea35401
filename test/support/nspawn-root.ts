// A minimal root directory for systemd-nspawn machines in tests: static busybox with its
// applet links, os-release (nspawn refuses a tree without /usr), passwd/group, a web page
// in /www for `httpd -h /www`, and a udhcpc script so `udhcpc -i host0` configures the lease.
//
// Built once into `.test-tmp/nspawn-root-<busybox hash>` and reused while busybox stays the
// same. nspawn locks a directory tree while a machine runs from it, so the tree serves one
// machine at a time: start concurrent machines with `--ephemeral` (a throwaway copy, ~0.1 s)
// or give each its own copyNspawnRoot().

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { makeTestTempDir, testTmpRoot } from './paths.js';
import { findTool } from './privileges.js';

// Bump when the layout changes, so cached trees are rebuilt.
const layoutVersion = 2;
const readyMarker = '.czt-ready';

const osRelease = 'ID=czt-test\nNAME="cni-zones test machine"\nPRETTY_NAME="cni-zones test machine"\n';

const udhcpcScript = `#!/bin/sh
# Apply a udhcpc lease (busybox leaves that to this script).
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "\${router%% *}" dev "$interface"; fi ;;
esac
`;

// dev..var/log: nspawn creates these in the tree when they are missing; made here, the cache stays unchanged.
const directories = ['dev', 'proc', 'sys', 'run', 'tmp', 'root', 'var/log', 'usr/lib', 'etc/udhcpc', 'www'];

async function isStaticExecutable(path: string): Promise<boolean> {
  if (findTool('file') !== undefined) {
    const { stdout } = await execa('file', ['-L', path]);
    return stdout.includes('statically linked') || stdout.includes('static-pie linked');
  }
  const { stdout, stderr } = await execa('ldd', [path], { reject: false });
  return `${stdout}${stderr}`.includes('not a dynamic executable');
}

/** A static busybox: the installed one when it is static, else from Debian's busybox-static package. */
async function staticBusybox(workDir: string): Promise<string> {
  const installed = findTool('busybox');
  if (installed !== undefined && (await isStaticExecutable(installed))) return installed;
  await execa('apt-get', ['download', 'busybox-static'], { cwd: workDir });
  const { stdout } = await execa('sh', ['-c', 'ls busybox-static_*.deb'], { cwd: workDir });
  await execa('dpkg-deb', ['-x', stdout.trim(), join(workDir, 'pkg')], { cwd: workDir });
  return join(workDir, 'pkg', 'bin', 'busybox');
}

async function fileHash(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex')
    .slice(0, 12);
}

async function buildTree(root: string, busybox: string): Promise<void> {
  await Promise.all(directories.map((dir) => mkdir(join(root, dir), { recursive: true })));
  await mkdir(join(root, 'bin'));
  await cp(busybox, join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  const { stdout } = await execa(busybox, ['--list']);
  const applets = stdout.split('\n').filter((name) => name !== '' && name !== 'busybox');
  await Promise.all(applets.map((applet) => symlink('busybox', join(root, 'bin', applet))));
  await symlink('bin', join(root, 'sbin'));
  await symlink('usr/lib', join(root, 'lib'));
  await writeFile(join(root, 'usr/lib/os-release'), osRelease);
  await symlink('../usr/lib/os-release', join(root, 'etc/os-release'));
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  await writeFile(join(root, 'www/index.html'), 'hello from a cni-zones test machine\n');
  await writeFile(join(root, 'etc/udhcpc/default.script'), udhcpcScript, { mode: 0o755 });
  await writeFile(join(root, readyMarker), '');
}

async function buildOrReuse(): Promise<string> {
  const workDir = makeTestTempDir('nspawn-build');
  try {
    const busybox = await staticBusybox(workDir);
    const root = join(testTmpRoot, `nspawn-root-v${layoutVersion}-${await fileHash(busybox)}`);
    if (existsSync(join(root, readyMarker))) return root;
    await rm(root, { recursive: true, force: true }); // an interrupted build
    const staging = join(workDir, 'root');
    await buildTree(staging, busybox);
    // Another test process may have finished the same build meanwhile; either tree will do.
    await rename(staging, root).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(root, readyMarker))) throw error;
    });
    return root;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

let cachedRoot: Promise<string> | undefined;

/** Path of the shared, cached machine tree (build on first use in this process). */
export function nspawnRoot(): Promise<string> {
  cachedRoot ??= buildOrReuse();
  return cachedRoot;
}

/** A private copy of the tree for a machine that must not share it; the caller removes `destination`. */
export async function copyNspawnRoot(destination: string): Promise<string> {
  await cp(await nspawnRoot(), destination, { recursive: true, verbatimSymlinks: true });
  return destination;
}
