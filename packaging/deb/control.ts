// DEBIAN/control. The dependencies are what the executable uses at run time on Debian 12:
// - libc6: it is dynamically linked (GLIBC_2.17 is the newest symbol version it asks for);
// - libnftables1 | nftables: lib/nft loads libnftables.so.1 in-process and falls back to the nft
//   binary, so either is enough; without both no port or masquerade rule can be written;
// - iproute2: lib/netns runs `ip netns` for named namespaces;
// - systemd (Recommends): the networkd backend, the units and the systemd-run proxies; the
//   netlink backend works without it;
// - systemd-container (Suggests): nspawn machines in zones; podman or containerd: a runtime.
export const MAINTAINER = 'cni-zones maintainers <maintainers@users.noreply.r-seed-c9543076.example>';

const DEPENDS = 'libc6 (>= 2.17), libnftables1 | nftables, iproute2';
const RECOMMENDS = 'systemd';
const SUGGESTS = 'systemd-container, podman | containerd';

const DESCRIPTION = `CNI plugins joining containers and nspawn machines in networkd zones
 cni-zones puts containers (podman, containerd, any CNI runtime) and
 systemd-nspawn machines into the same zones: bridges managed by
 systemd-networkd or by the plugins over netlink, with addresses from one pool,
 published ports in an nftables table of their own, masquerade, a name server
 per zone and zones spanning several hosts over VXLAN.
 .
 The plugins zone, zone-ipam and zone-ports are installed in /usr/lib/cni and
 linked into /opt/cni/bin; zonectl shows, repairs and cleans up what they set
 up. No network is configured by the package: an example is in
 /usr/share/doc/cni-zones/examples.`;

export interface ControlInputs {
  version: string;
  /** KiB, as dpkg-gencontrol counts it (layout-size in build.ts). */
  installedSize: number;
}

export function renderControl(inputs: ControlInputs): string {
  const fields: Array<[string, string]> = [
    ['Package', 'cni-zones'],
    ['Version', inputs.version],
    ['Architecture', 'amd64'],
    ['Maintainer', MAINTAINER],
    ['Installed-Size', String(inputs.installedSize)],
    ['Depends', DEPENDS],
    ['Recommends', RECOMMENDS],
    ['Suggests', SUGGESTS],
    ['Section', 'net'],
    ['Priority', 'optional'],
    ['Description', DESCRIPTION],
  ];
  return `${fields.map(([name, value]) => `${name}: ${value}`).join('\n')}\n`;
}
