#!/bin/sh
# PID 1 of a networkd sandbox (started by networkd-sandbox.ts through
# `unshare --net --mount --pid --fork --kill-child --mount-proc --propagation slave`).
# Usage: networkd-init.sh STATE_DIR HIDE_VENDOR(0|1) LOG_LEVEL
# Mounts made here stay in the sandbox (slave propagation), while namespaces that the
# host adds to /run/netns still show up here, so CNI_NETNS=/run/netns/X works inside.
set -eu
state=$1 hide_vendor=$2 log_level=$3

if mountpoint -q /run/netns; then
  mkdir -p "$state/host-netns"
  mount --bind /run/netns "$state/host-netns"
fi
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/netns /run/systemd /run/dbus /run/sandbox   # networkd only creates /run/systemd/netif itself
if [ -d "$state/host-netns" ]; then mount --move "$state/host-netns" /run/netns; fi

# A fresh sysfs shows this namespace's links. Read-only is what makes networkd treat udev
# as absent; with a writable /sys every link stays "pending udev initialization".
mount --rbind /sys/fs/cgroup /run/sandbox   # systemd-nspawn needs the cgroup tree
mount -t sysfs -o ro sysfs /sys
mount --move /run/sandbox /sys/fs/cgroup

mount --bind "$state/network" /etc/systemd/network
if [ "$hide_vendor" = 1 ]; then
  mkdir -p "$state/empty"
  mount --bind "$state/empty" /usr/lib/systemd/network
fi
ip link set lo up

# networkctl talks to networkd over D-Bus only, so the sandbox brings its own system bus.
dbus-daemon --system --nofork --nopidfile >"$state/dbus.log" 2>&1 &
dbus=$!
i=0
until [ -S /run/dbus/system_bus_socket ]; do
  i=$((i + 1)); [ $i -lt 500 ] || { echo "dbus-daemon did not start" >&2; exit 1; }
  sleep 0.01
done

SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=$log_level \
  /lib/systemd/systemd-networkd >"$state/networkd.log" 2>&1 </dev/null &
networkd=$!

# As PID 1 of the pid namespace this shell only gets the signals it handles.
trap 'kill $networkd $dbus 2>/dev/null; exit 0' TERM INT HUP
while :; do sleep 1 & wait $! || true; done
