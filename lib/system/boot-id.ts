// The kernel's ID of this boot (a random UUID made at boot, /proc/sys/kernel/random/boot_id).
// Recorded with each allocation and per-attachment record, so an item an earlier boot left is
// told apart from a live one without asking the runtime (whose cache may survive a reboot, and
// whose namespace paths may be reused by new containers).
import { readFileSync } from 'node:fs';

const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';
const BOOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let current: string | undefined;

/** This boot's ID, read once per process; undefined where /proc does not tell it. */
export function currentBootId(): string | undefined {
  if (current === undefined) {
    try {
      const text = readFileSync(BOOT_ID_PATH, 'utf8').trim();
      if (isBootId(text)) current = text;
    } catch {
      return undefined;
    }
  }
  return current;
}

function isBootId(text: string): boolean {
  return BOOT_ID.test(text);
}

/** `1a2b3c4d…`: enough of an ID to tell boots apart in a report line. */
export function shortBootId(id: string): string {
  return `${id.slice(0, 8)}…`;
}

/** Where an item came from: this boot, an earlier one, or unknown (written before boot IDs were recorded). */
export type BootOrigin = 'this' | 'earlier' | 'unknown';

export function bootOrigin(recorded: string | undefined, thisBoot: string | undefined): BootOrigin {
  if (recorded === undefined || thisBoot === undefined) return 'unknown';
  return recorded === thisBoot ? 'this' : 'earlier';
}
