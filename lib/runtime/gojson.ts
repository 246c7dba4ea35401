// JSON as Go's encoding/json writes it, so the bytes we hand to plugins and store in the
// result cache are the bytes libcni would produce: map keys sorted, and `<`, `>`, `&`,
// U+2028, U+2029 escaped (Go's HTML-safe default).

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareBytes)) {
    sorted[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

/** Go sorts map keys by their UTF-8 bytes, which differs from UTF-16 order for a few characters. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function escapeLikeGo(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON value marshalled the way Go marshals a map[string]interface{}. */
export function goJson(value: unknown): string {
  return escapeLikeGo(JSON.stringify(sortKeysDeep(value)));
}

/**
 * A Go struct: top-level fields keep the given order (the struct's field order), undefined
 * fields are dropped (`omitempty` decided by the caller), nested objects are maps (sorted).
 */
export function goJsonStruct(fields: Record<string, unknown>): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${escapeLikeGo(JSON.stringify(k))}:${goJson(v)}`);
  return `{${parts.join(',')}}`;
}
