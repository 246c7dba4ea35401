// Whether an attachment's network namespace is still there: what makes a cached attachment
// valid for GC and checkable for status. A /run/netns name is looked up first (no open needed
// for the common "gone" case), any other path is opened and proven to be a network namespace.
import { namedNetnsExists } from '../../lib/netns/named.js';
import { openNetns } from '../../lib/netns/open.js';

const NAMED = '/run/netns/';

export function netnsIsPresent(path: string | undefined): boolean {
  if (!path) return false;
  if (path.startsWith(NAMED) && !namedNetnsExists(path.slice(NAMED.length))) return false;
  try {
    openNetns(path).close();
    return true;
  } catch {
    return false;
  }
}
