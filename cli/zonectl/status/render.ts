// `zonectl status` for people: one block per zone in the manner of networkctl status, then
// its attachments as a table, then what is wrong and how to fix it.
import type { PortMapping } from '../../../lib/ports/mappings.js';
import { twoColumns } from '../args.js';
import { renderTable } from '../table.js';
import { identityText } from '../repair/vxlan-drift.js';
import { installationLine } from './installation.js';
import type { AttachmentView, IsolationView, MachineView, NameServerView, StatusReport, VxlanView, ZoneView } from './model.js';

export interface RenderOptions {
  /** ANSI colour for the state dots. */
  colour: boolean;
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

function dot(healthy: boolean, options: RenderOptions): string {
  if (!options.colour) return '●';
  return `${healthy ? GREEN : RED}●${RESET}`;
}

export function formatPort(p: PortMapping): string {
  return `${p.protocol} ${p.hostIP ? `${p.hostIP}:` : ''}${p.hostPort}→${p.containerPort}`;
}

function bridgeLine(zone: ZoneView): string {
  const b = zone.bridge;
  if (!b.present) return `${b.name} (not there yet: it is made with the first attachment)`;
  const state = b.up ? 'up' : 'DOWN';
  return [b.name, state, ...b.addresses].join(', ');
}

function backendLine(zone: ZoneView): string {
  const { configured, active, problem } = zone.backend;
  if (problem) return `${configured}: ${problem}`;
  return configured === active ? `${active}` : `${active} (configured: ${configured})`;
}

function networkdLine(zone: ZoneView): string | undefined {
  if (zone.backend.active !== 'networkd') return undefined;
  if (!zone.networkd) return 'no state for the bridge yet';
  const { adminState, operState, networkFile } = zone.networkd;
  return `${adminState}, ${operState}${networkFile ? ` (${networkFile})` : ''}`;
}

/** `isolated; allowed: b, c (by c's configuration)` */
function isolationLine(isolation: IsolationView): string {
  const own = isolation.allowZones;
  const theirs = isolation.allowedBy.filter((zone) => !own.includes(zone));
  const allowed = [...own, ...theirs.map((zone) => `${zone} (by ${zone}'s configuration)`)];
  const peers = allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'no other zone allowed';
  const state = isolation.active ? 'isolated from other zones' : 'not in effect yet (made with the first attachment)';
  return `${state}; ${peers}`;
}

/** `running; answers *.web.internal at the gateways` */
function nameServerLine(nameServer: NameServerView): string {
  if (!nameServer.enabled) return 'off (nameServer: false)';
  const state = nameServer.running ? 'running' : 'not running (it runs while the zone has members)';
  return `${state}; answers *.${nameServer.domain} at the gateways`;
}

/** `vx-web, up, VNI 4242, 192.0.2.1:4789, MTU 1450` */
function vxlanLine(vxlan: VxlanView, bridgePresent: boolean): string {
  const d = vxlan.device;
  if (!d.present) {
    const state = bridgePresent ? 'MISSING' : '(not there yet: it is made with the first attachment)';
    return `${d.name} ${state}; ${identityText(vxlan)}`;
  }
  if (d.kind !== 'vxlan') return `${d.name} is a ${d.kind ?? 'device'} link, not a VXLAN port`;
  return [
    d.name,
    d.up ? 'up' : 'DOWN',
    identityText(d),
    ...(d.mtu !== undefined ? [`MTU ${d.mtu}`] : []),
    ...(d.onBridge ? [] : ['not on the bridge']),
  ].join(', ');
}

/** Whether DHCP and router advertisements are kept on this host. */
function keptLocalLine(vxlan: VxlanView): string {
  if (vxlan.keptLocal.inPlace) return 'DHCPv4 and router discovery stay on this host (table bridge cni_zones)';
  return `DHCPv4 and router discovery NOT kept on this host: ${vxlan.keptLocal.problems.join(', ')}`;
}

function pingCell(peer: VxlanView['peers'][number]): string {
  if (peer.answers) return peer.rttMs === undefined ? 'answers' : `answers (${peer.rttMs} ms)`;
  return peer.reason ? `no answer (${peer.reason})` : 'no answer';
}

function peerTable(vxlan: VxlanView): string {
  const rows = [
    ...vxlan.peers.map((p) => [p.address, p.flooded ? 'yes' : 'no', pingCell(p)]),
    ...vxlan.strayFloods.map((address) => [address, 'yes, of no peer', '-']),
  ];
  return renderTable(['PEER', 'FLOOD ENTRY', 'PING'], rows, { indent: 2 });
}

function checkCell(a: AttachmentView): string {
  if (a.check.skipped) return `skipped (${a.check.skipped})`;
  return a.check.ok ? 'ok' : 'FAILED';
}

function attachmentTable(zone: ZoneView): string {
  const rows = zone.attachments.map((a) => [
    a.containerId,
    a.names.join('\n') || '-',
    a.ifname,
    a.addresses.join('\n') || '-',
    a.mac ?? '-',
    a.ports.map(formatPort).join('\n') || '-',
    checkCell(a),
  ]);
  return renderTable(['CONTAINER', 'NAMES', 'IFNAME', 'ADDRESSES', 'MAC', 'PORTS', 'CHECK'], rows, { indent: 2 });
}

function machineTable(machines: readonly MachineView[]): string {
  const rows = machines.map((m) => [m.machine, m.name ?? '-', m.port, m.addresses.join('\n') || '-']);
  return renderTable(['MACHINE', 'NAME', 'PORT', 'ADDRESSES'], rows, { indent: 2 });
}

export function renderZone(zone: ZoneView, options: RenderOptions): string {
  const state = zone.healthy ? 'healthy' : `${zone.problems.length} problem${zone.problems.length === 1 ? '' : 's'}`;
  const rows: [string, string][] = [
    ['Network:', `${zone.network} (${zone.source})`],
    ['Bridge:', bridgeLine(zone)],
    ['Backend:', backendLine(zone)],
  ];
  const networkd = networkdLine(zone);
  if (networkd) rows.push(['networkd:', networkd]);
  rows.push(['Subnets:', zone.subnets.join(', ') || '-']);
  if (zone.dhcpPool)
    rows.push([
      'DHCP pool:',
      `${zone.dhcpPool.first} - ${zone.dhcpPool.last} (${zone.dhcpPool.size} addresses, for --network-zone machines)`,
    ]);
  if (zone.vxlan) {
    rows.push(['VXLAN:', vxlanLine(zone.vxlan, zone.bridge.present)]);
    rows.push(['Kept local:', keptLocalLine(zone.vxlan)]);
    const answering = zone.vxlan.peers.filter((p) => p.answers).length;
    rows.push(['Peers:', `${zone.vxlan.peers.length} (${answering} answer${answering === 1 ? 's' : ''} a ping)`]);
  }
  if (zone.isolation) rows.push(['Isolation:', isolationLine(zone.isolation)]);
  if (zone.nameServer) rows.push(['Name server:', nameServerLine(zone.nameServer)]);
  if (zone.nameServer?.otherNames) rows.push(['Other names:', `${zone.nameServer.otherNames.join(', ')} (machines, other runtimes)`]);
  rows.push(['Plugins:', zone.plugins.ok ? 'ready' : `not ready: ${zone.plugins.error}`]);
  rows.push(['Attachments:', `${zone.attachments.length}`]);
  if (zone.machines?.length) rows.push(['Machines:', `${zone.machines.length} (nspawn --network-zone)`]);
  if (zone.bridge.otherPorts.length)
    rows.push(['Other ports:', `${zone.bridge.otherPorts.join(', ')} (nspawn --network-zone machines, other runtimes)`]);
  const labelWidth = Math.max(...rows.map(([l]) => l.length));
  const block = twoColumns(
    rows.map(([l, r]) => [l.padStart(labelWidth), r]),
    4,
  );
  const out = [`${dot(zone.healthy, options)} zone ${zone.zone}: ${state}`, ...block, '', ''];
  let text = out.join('\n');
  if (zone.attachments.length) text += `${attachmentTable(zone)}\n`;
  if (zone.machines?.length) text += `${machineTable(zone.machines)}\n`;
  if (zone.vxlan && zone.vxlan.peers.length + zone.vxlan.strayFloods.length > 0) text += `${peerTable(zone.vxlan)}\n`;
  if (zone.problems.length) text += `  Problems:\n${zone.problems.map((p) => `    - ${p}\n`).join('')}\n`;
  return text;
}

export function renderStatus(report: StatusReport, options: RenderOptions): string {
  let text = report.installation ? `${installationLine(report.installation)}\n\n` : '';
  if (report.zones.length === 0) {
    text += `No zones in ${report.confDir} (networks whose chain holds the "zone" plugin).\n`;
    text += `Run "zonectl install --example" for the example network, or pass --conf-dir.\n`;
  }
  for (const zone of report.zones) text += renderZone(zone, options);
  for (const u of report.unreadable) text += `${dot(false, options)} ${u.file}: cannot be read: ${u.error}\n`;
  return text;
}
