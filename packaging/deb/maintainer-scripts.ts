// postinst, prerm and postrm (POSIX sh, no debhelper). The units are handled as
// dh_installsystemd's snippets do: enabled through deb-systemd-helper (which remembers an
// admin's disable across upgrades), started or restarted through deb-systemd-invoke (which
// honours policy-rc.d), masked on remove and purged with purge.
// /opt/cni/bin/<plugin> links are made here, not shipped: Debian packages must not ship files
// in /opt. The directories postinst had to create are written to STATE, so purge removes exactly
// those (if empty), and a link is only ever made where nothing is and removed where it is ours.
import { MULTI_CALL } from '../../cli/zonectl/install/plan.js';
import { LIB_DIR, OPT_CNI_DIR, type PackagedUnit, PLUGINS } from './layout.js';

const STATE_DIR = '/var/lib/cni-zones';
/** One directory a line, each created by postinst. */
const CREATED_DIRS_FILE = `${STATE_DIR}/package-created-dirs`;

const OPT_DIRS = ['/opt', '/opt/cni', OPT_CNI_DIR];

function quoted(words: readonly string[]): string {
  return words.map((w) => `'${w}'`).join(' ');
}

const HEADER = '#!/bin/sh\nset -e\n';

function enableUnits(units: readonly PackagedUnit[]): string {
  const all = quoted(units.map((u) => u.name));
  const started = units.filter((u) => u.start).map((u) => u.name);
  return `
if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
	for unit in ${all}; do
		# Only removes a mask deb-systemd-helper itself made when the package was removed.
		deb-systemd-helper unmask "$unit" >/dev/null || true
		# True on a first install; false when the admin disabled the unit: then keep it so.
		if deb-systemd-helper --quiet was-enabled "$unit"; then
			deb-systemd-helper enable "$unit" >/dev/null || true
		else
			deb-systemd-helper update-state "$unit" >/dev/null || true
		fi
	done
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		# The boot GC unit is for boot only: enabled above, never started here.
		if [ -n "$2" ]; then action=restart; else action=start; fi
		for unit in ${quoted(started)}; do
			deb-systemd-invoke "$action" "$unit" >/dev/null || true
		done
	fi
fi
`;
}

function optLinks(): string {
  return `
if [ "$1" = configure ]; then
	mkdir -p ${STATE_DIR}
	for dir in ${OPT_DIRS.join(' ')}; do
		if [ ! -d "$dir" ] && [ ! -e "$dir" ] && [ ! -L "$dir" ]; then
			mkdir -m 755 "$dir"
			grep -qxF "$dir" ${CREATED_DIRS_FILE} 2>/dev/null || echo "$dir" >> ${CREATED_DIRS_FILE}
		fi
	done
	if [ -d ${OPT_CNI_DIR} ]; then
		for plugin in ${PLUGINS.join(' ')}; do
			link=${OPT_CNI_DIR}/$plugin
			if [ -L "$link" ] && [ "$(readlink "$link")" = "${LIB_DIR}/$plugin" ]; then continue; fi
			# Already our plugin by another way, as when /opt/cni/bin is a link to /usr/lib/cni.
			if [ "$(readlink -f "$link")" = "${LIB_DIR}/${MULTI_CALL}" ]; then continue; fi
			if [ -e "$link" ] || [ -L "$link" ]; then
				echo "cni-zones: $link is not ours, left as it is (runtimes searching /opt/cni/bin find that one, not ${LIB_DIR}/$plugin)" >&2
				continue
			fi
			ln -s "${LIB_DIR}/$plugin" "$link"
		done
	else
		echo "cni-zones: ${OPT_CNI_DIR} is not a directory: no plugin links made there" >&2
	fi
fi
`;
}

export function renderPostinst(units: readonly PackagedUnit[]): string {
  return `${HEADER}${optLinks()}${enableUnits(units)}exit 0\n`;
}

export function renderPrerm(units: readonly PackagedUnit[]): string {
  const started = units.filter((u) => u.start).map((u) => u.name);
  return `${HEADER}
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	for unit in ${quoted(started)}; do
		deb-systemd-invoke stop "$unit" >/dev/null || true
	done
fi
exit 0
`;
}

export function renderPostrm(units: readonly PackagedUnit[]): string {
  const all = quoted(units.map((u) => u.name));
  return `${HEADER}
if [ "$1" = remove ]; then
	for plugin in ${PLUGINS.join(' ')}; do
		link=${OPT_CNI_DIR}/$plugin
		if [ -L "$link" ] && [ "$(readlink "$link")" = "${LIB_DIR}/$plugin" ]; then rm -f "$link"; fi
	done
	if command -v deb-systemd-helper >/dev/null; then
		for unit in ${all}; do deb-systemd-helper mask "$unit" >/dev/null || true; done
	fi
fi

if [ "$1" = purge ]; then
	if command -v deb-systemd-helper >/dev/null; then
		for unit in ${all}; do
			deb-systemd-helper purge "$unit" >/dev/null || true
			deb-systemd-helper unmask "$unit" >/dev/null || true
		done
	fi
	if [ -f ${CREATED_DIRS_FILE} ]; then
		# Deepest first; a directory someone else put files in stays.
		for dir in $(sort -r ${CREATED_DIRS_FILE}); do rmdir "$dir" 2>/dev/null || true; done
		rm -f ${CREATED_DIRS_FILE}
	fi
	rmdir ${STATE_DIR} 2>/dev/null || true
fi

if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
exit 0
`;
}
