// Loading koffi, the one native addon of the Node bundles, on first use (lib/libc/ffi-node.ts;
// the compiled executable uses bun:ffi instead). A plain require, not `import()`:
// in the CJS bundle a dynamic import of koffi costs ~25 ms against ~12 ms for require,
// on every ADD and DEL. The bundles define import.meta.url (see scripts/build.mjs), so this
// resolves from the bundle's directory, where the installed layout keeps the addon.
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

export function requireNative<T>(name: string): T {
  return requireHere(name) as T;
}
