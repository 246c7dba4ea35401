// docs/configuration.md against the zod schemas the plugins parse their configuration with:
// every field a schema knows is a table row in that plugin's section of the page, and every
// row names a field some schema of that plugin knows. So neither can change without the other.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { type NetConf, netConfSchema } from '../../lib/cni/config.js';
import { buildSchemas as ipamSchemas } from '../../lib/ipam/config.js';
import { buildSchemas as portsSchemas } from '../../lib/ports/config.js';
import { parsePortMappings } from '../../lib/ports/mappings.js';
import { loadZoneConfig } from '../../lib/zone/plan.js';
import { codeSpan, readDoc, tableRows } from './markdown.js';

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

/**
 * Every field path of a schema: `a`, `a.b`, and `a[].b` for the fields of an array's entries.
 * Walked through zod's own JSON Schema rendering, which unwraps optional, nullable and the
 * like; the keys of a record (`capabilities`) are data, not fields, and are not descended into.
 */
function fieldPaths(schema: z.ZodMiniType, prefix = ''): string[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const paths: string[] = [];
  const walk = (node: JsonSchema, at: string, refs: ReadonlySet<string>): void => {
    const ref = node.$ref?.replace(/^#\/\$defs\//, '');
    if (ref !== undefined && !refs.has(ref) && root.$defs?.[ref]) walk(root.$defs[ref], at, new Set([...refs, ref]));
    for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) walk(branch, at, refs);
    const entries = [...(node.prefixItems ?? []), ...(node.items === undefined ? [] : [node.items].flat())];
    for (const entry of entries) walk(entry, `${at}[]`, refs);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = at === '' ? key : `${at}.${key}`;
      paths.push(path);
      walk(child, path, refs);
    }
  };
  walk(root, prefix, new Set());
  return paths;
}

/**
 * The field paths a parse function reads from the object it validates, for schemas that are not
 * exported (the zone's, and the port mapping entry): zod reads every key of an object's shape
 * from its input, so a proxy that records what is read lists the shape. Each key read yields
 * another recorder, so nested objects (`dhcpPool`) are listed too; the parse itself fails.
 */
function pathsRead(parse: (value: object) => unknown): string[] {
  const read = new Set<string>();
  const recorder = (at: string): object =>
    new Proxy(
      {},
      {
        // Every key is present (zod skips an optional key that is `in` no object), with a value
        // no schema accepts, so the parse fails before the caller reads anything else.
        has: () => true,
        get(_target, key) {
          if (typeof key !== 'string') return undefined;
          const path = at === '' ? key : `${at}.${key}`;
          read.add(path);
          return recorder(path);
        },
      },
    );
  try {
    parse(recorder(''));
  } catch {
    // a recorder holds no valid value: the parse is run for what it reads
  }
  return [...read];
}

/**
 * Fields a plugin reads straight from `runtimeConfig` (a loose object in the common schema),
 * with no schema of their own: the code that reads each must still be somewhere in lib/.
 */
const READ_WITHOUT_SCHEMA = [
  { section: 'zone', field: 'runtimeConfig.mac', code: 'runtimeConfig?.mac' },
  { section: 'zone', field: 'runtimeConfig.aliases', code: 'runtimeConfig?.aliases' },
  {
    section: 'zone-ports',
    field: 'runtimeConfig.portMappings',
    code: 'runtimeConfig as Record<string, unknown> | undefined)?.portMappings',
  },
];

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

function withoutSchema(section: string): string[] {
  return READ_WITHOUT_SCHEMA.filter((entry) => entry.section === section).map((entry) => entry.field);
}

function schemaFields(): Record<string, string[]> {
  const ipam = ipamSchemas();
  const ports = portsSchemas();
  const mappingFields = pathsRead((entry) => parsePortMappings([entry]));
  return {
    'Common fields': fieldPaths(netConfSchema),
    zone: [...pathsRead((conf) => loadZoneConfig(conf as NetConf)), ...withoutSchema('zone')],
    'zone-ipam': [
      ...fieldPaths(ipam.ipam, 'ipam'),
      ...fieldPaths(ipam.store, 'ipam'),
      ...fieldPaths(ipam.runtimeConfig, 'runtimeConfig'),
      ...withoutSchema('zone-ipam'),
    ],
    'zone-ports': [
      ...fieldPaths(ports.full),
      ...fieldPaths(ports.stateDir),
      ...withoutSchema('zone-ports'),
      ...mappingFields.map((field) => `runtimeConfig.portMappings[].${field}`),
    ],
  };
}

const PAGE = 'docs/configuration.md';
const fieldRows = tableRows(readDoc(PAGE)).flatMap((row) => {
  const field = codeSpan(row.cells[0]);
  return field === undefined ? [] : [{ ...row, field }];
});

function documented(section: string): string[] {
  return fieldRows.filter((row) => row.section === section).map((row) => row.field);
}

const expected = schemaFields();
const sections = Object.keys(expected);

describe(PAGE, () => {
  it('walks the schemas down to nested fields', () => {
    // A walker that stopped at the top would make the checks below vacuous.
    expect(expected['Common fields']).toEqual(
      expect.arrayContaining(['cniVersion', 'args.cni.mac', 'cni.dev/valid-attachments[].containerID']),
    );
    expect(expected.zone).toEqual(expect.arrayContaining(['zone', 'ipv6Dad', 'dhcpPool.offset']));
    expect(expected['zone-ipam']).toEqual(
      expect.arrayContaining(['ipam.ranges[][].subnet', 'ipam.routes[].dst', 'runtimeConfig.ipRanges[][].gateway']),
    );
    expect(expected['zone-ports']).toEqual(expect.arrayContaining(['localhost', 'runtimeConfig.portMappings[].hostPort']));
  });

  it('documents fields only in the sections of the plugins', () => {
    const stray = fieldRows
      .filter((row) => !sections.includes(row.section))
      .map((row) => `line ${row.line}: ${row.field} (section "${row.section}")`);
    expect(stray).toEqual([]);
  });

  it.each(sections)('documents every field of the %s schema', (section) => {
    const rows = documented(section);
    expect([...new Set(expected[section])].filter((field) => !rows.includes(field))).toEqual([]);
  });

  it.each(sections)('documents in %s no field the schema lacks, and none twice', (section) => {
    const rows = documented(section);
    expect(rows.filter((field) => !expected[section]!.includes(field))).toEqual([]);
    expect(rows.filter((field, i) => rows.indexOf(field) !== i)).toEqual([]);
  });

  it.each(READ_WITHOUT_SCHEMA)('$field is still read by the code', ({ code }) => {
    const lib = new URL('../../lib', import.meta.url).pathname;
    expect(sourcesUnder(lib).some((source) => source.includes(code))).toBe(true);
  });
});
