// The one rule for paths in a plugin configuration (ipam.dataDir, networkDir, portsStateDir,
// resolvConf): absolute and already normal. A plugin runs as root in whatever directory the
// runtime started it from, so a relative path lands somewhere nobody looks, and ".." lets a
// config reach outside the directory it appears to name.
import * as z from 'zod/mini';

/** Why `path` is not an absolute, normal path, or undefined when it is. */
export function configPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'it is not an absolute path';
  if (path.includes('\0')) return 'it contains a NUL byte';
  const segments = path.split('/').slice(1);
  if (segments.at(-1) === '') segments.pop(); // one trailing slash is harmless
  if (segments.some((segment) => segment === '')) return 'it contains "//"';
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'it contains "." or ".." segments';
  return undefined;
}

/** A zod string that follows the rule, for config schemas. */
export function configPath() {
  return z.string().check(
    z.superRefine((path, ctx) => {
      const problem = configPathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(path)}: ${problem}`, input: path });
    }),
  );
}
