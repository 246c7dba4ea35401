#!/bin/sh
# Install the Debian packages the tests and the demo run for real: iproute2 (ip, bridge),
# nftables and libnftables1 (lib/nft runs transactions in-process through the library, with the
# nft binary as fallback), systemd (networkd, networkctl), systemd-container (nspawn), dbus
# (private bus for networkd), busybox-static (machine roots), util-linux (nsenter, unshare) and
# the reference CNI plugins (compared against in tests and benchmarks) with iptables, which
# their portmap needs (the conformance harness runs it), mmdebstrap (the Debian 12 root that
# test machines with systemd as PID 1 boot, built from Debian's archive), dnsmasq-base (the
# peer of the benchmark's name-server rows: the binary alone, no service), openssl (the CA and
# certificate of the stand-in API server in test/e2e/kube-node-setup.test.ts), iperf3 (the
# benchmark's throughput of a multi-host zone; its daemon stays off: debconf's iperf3/start_daemon
# defaults to false, which a noninteractive install keeps), lintian (test/packaging/lintian.test.ts
# checks the .deb `make deb` builds; ~25 MB of Perl with its libraries) and man-db with
# groff-base (`man -l` renders the man pages in tests; lintian also checks them with man-db),
# bash-completion (the generated completion is tried with and without it), and golang-go,
# golang-github-appc-cni-dev and dpkg-dev: cnitool is in no Debian 12 binary package, so the
# cnitool guide's test builds it from the CNI source package against these (test/support/cnitool.ts).
# Does nothing when everything is present, so `make test` stays fast on a prepared machine.
set -eu
PACKAGES="iproute2 nftables libnftables1 systemd systemd-container dbus busybox-static util-linux containernetworking-plugins iptables procps mmdebstrap dnsmasq-base openssl iperf3 lintian man-db groff-base bash-completion golang-go golang-github-appc-cni-dev dpkg-dev"
missing=""
for pkg in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: networkd and nspawn need nothing more, and recommends pull in
# services a test machine should not start.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
