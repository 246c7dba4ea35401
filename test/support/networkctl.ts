// What systemd-networkd itself says in a networkd sandbox: `networkctl --json=short` views of
// links and their addresses, and the complaints its log holds about a file.

import { formatAddress } from '../../lib/ip/index.js';
import type { NetworkdSandbox } from './networkd-sandbox.js';

export interface NetworkctlAddress {
  Family: number;
  Address: number[];
  PrefixLength: number;
  ConfigSource: string;
}

export interface NetworkctlLink {
  Index: number;
  Name: string;
  Kind?: string;
  MTU?: number;
  AdministrativeState: string;
  NetworkFile?: string;
  Addresses?: NetworkctlAddress[];
}

/** "10.89.0.1/24" from networkctl's byte list and prefix length. */
export function formatNetworkctlAddress(address: NetworkctlAddress): string {
  const value = address.Address.reduce((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
  return `${formatAddress({ family: address.Family === 2 ? 4 : 6, value })}/${address.PrefixLength}`;
}

export async function networkctlStatus(networkd: NetworkdSandbox, link: string): Promise<NetworkctlLink> {
  const { stdout } = await networkd.exec('networkctl', ['status', '--json=short', link]);
  return JSON.parse(String(stdout)) as NetworkctlLink;
}

export async function networkctlList(networkd: NetworkdSandbox): Promise<NetworkctlLink[]> {
  const { stdout } = await networkd.exec('networkctl', ['list', '--json=short']);
  return (JSON.parse(String(stdout)) as { Interfaces: NetworkctlLink[] }).Interfaces;
}

/** The addresses networkd configured from a .network file, sorted. */
export function staticAddresses(link: NetworkctlLink): string[] {
  return (link.Addresses ?? [])
    .filter((a) => a.ConfigSource === 'static')
    .map(formatNetworkctlAddress)
    .sort();
}

/** networkd's complaints about a file: its log prefixes them with `PATH:LINE: `. */
export async function complaintsAbout(networkd: NetworkdSandbox, fileName: string): Promise<string[]> {
  const log = await networkd.log();
  return log.split('\n').filter((line) => new RegExp(`/${fileName.replaceAll('.', '\\.')}:\\d+: `).test(line));
}
