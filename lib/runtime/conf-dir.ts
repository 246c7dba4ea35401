// A directory of network configurations, read as libcni reads /etc/cni/net.d: files with
// the wanted extensions, sorted by name; a network is looked up among `.conflist` files
// first, then among single-plugin `.conf`/`.json` files.
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { decodeJson } from '../cni/config.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import {
  CONF_EXTENSIONS,
  CONFLIST_EXTENSIONS,
  confListFromConf,
  loadConfListFile,
  parseConfList,
  parseSingleConf,
  type NetworkConfigList,
} from './conf.js';
import { compareBytes } from './gojson.js';

export class NetworkNotFoundError extends CniError {
  readonly network: string;
  readonly dir: string;

  constructor(dir: string, network: string) {
    super(ErrorCode.InvalidNetworkConfig, `no net configuration with name "${network}" in ${dir}`);
    this.name = 'NetworkNotFoundError';
    this.network = network;
    this.dir = dir;
  }
}

/** Files (not directories) in `dir` whose extension is one of `extensions`, sorted; none when `dir` is missing. */
export async function confFiles(dir: string, extensions: readonly string[]): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CniError(ErrorCode.IoFailure, `cannot read configuration directory ${dir}`, (e as Error).message);
  }
  return entries
    .filter((entry) => !entry.isDirectory() && extensions.includes(extname(entry.name)))
    .map((entry) => join(dir, entry.name))
    .sort(compareBytes);
}

async function readJsonFile(file: string): Promise<{ bytes: Buffer; json: unknown }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `cannot read network configuration ${file}`, (e as Error).message);
  }
  return { bytes, json: decodeJson(bytes.toString('utf8'), `network configuration ${file}`) };
}

function nameOf(json: unknown): unknown {
  return json !== null && typeof json === 'object' ? (json as { name?: unknown }).name : undefined;
}

// A file that is not JSON fails the lookup (it may be the one asked for, as libcni reasons);
// a well-formed file of another network is not validated further, so it cannot hide this one.
async function findConfList(dir: string, network: string): Promise<NetworkConfigList | undefined> {
  for (const file of await confFiles(dir, CONFLIST_EXTENSIONS)) {
    const { bytes, json } = await readJsonFile(file);
    if (nameOf(json) === network) return parseConfList(bytes, file);
  }
  return undefined;
}

async function findSingleConf(dir: string, network: string): Promise<NetworkConfigList | undefined> {
  for (const file of await confFiles(dir, CONF_EXTENSIONS)) {
    const { bytes, json } = await readJsonFile(file);
    if (nameOf(json) === network) return confListFromConf(parseSingleConf(bytes, file), file);
  }
  return undefined;
}

/** The network named `network` in `dir`: the first `.conflist` with that name, else the first `.conf`/`.json`, converted. */
export async function loadConfList(dir: string, network: string): Promise<NetworkConfigList> {
  const list = (await findConfList(dir, network)) ?? (await findSingleConf(dir, network));
  if (!list) throw new NetworkNotFoundError(dir, network);
  return list;
}

/** Every network configuration in `dir`, in file-name order (conflists and converted confs together). */
export async function loadConfDir(dir: string): Promise<NetworkConfigList[]> {
  const files = await confFiles(dir, [...CONFLIST_EXTENSIONS, ...CONF_EXTENSIONS]);
  const lists: NetworkConfigList[] = [];
  for (const file of files) lists.push(await loadConfListFile(file));
  return lists;
}
