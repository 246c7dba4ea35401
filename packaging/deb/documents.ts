// /usr/share/doc/cni-zones/copyright (machine-readable, DEP-5) and the changelog of this
// native package, in the Debian format lintian and dpkg-parsechangelog read.
import { MAINTAINER } from './control.js';

/** What changed in each version, newest first; the newest must be package.json's version. Lines up to 72 characters. */
const CHANGES: ReadonlyArray<{ version: string; changes: string[] }> = [
  {
    version: '0.1.0',
    changes: [
      'First package: the zone, zone-ipam and zone-ports CNI plugins and',
      'zonectl, linked into /usr/lib/cni and /opt/cni/bin, with the repair and',
      'boot GC units.',
    ],
  },
];

/** RFC 5322 date, as dpkg wants it in a changelog trailer: `Wed, 02 Dec 2026 21:43:22 +0000`. */
function changelogDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString().replace('GMT', '+0000');
}

function wrapItem(lines: string[]): string {
  return lines.map((line, i) => `  ${i === 0 ? '*' : ' '} ${line}`).join('\n');
}

export function renderChangelog(version: string, date: number): string {
  if (CHANGES[0]?.version !== version) {
    throw new Error(`packaging/deb/documents.ts has no changelog entry for ${version} (package.json's version): add one`);
  }
  // Only the newest entry gets the build's date: the older ones keep one a day before, in order.
  return CHANGES.map(
    (entry, i) =>
      `cni-zones (${entry.version}) unstable; urgency=medium\n\n${wrapItem(entry.changes)}\n\n -- ${MAINTAINER}  ${changelogDate(date - i * 86_400)}\n`,
  ).join('\n');
}

export function renderCopyright(): string {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: cni-zones
Comment: The executable /usr/lib/cni-zones/cni-zones is compiled by Bun and holds the Bun
 runtime (MIT, with JavaScriptCore under LGPL-2.1 and libjpeg-turbo under the
 IJG and BSD-3-Clause licenses, among others) and the npm packages zod and
 dns-packet (MIT) besides cni-zones' own code.

Files: *
Copyright: 2026 cni-zones maintainers
License: Apache-2.0

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not
 use this file except in compliance with the License. You may obtain a copy of
 the License at
 .
 http://www.apache.org/licenses/LICENSE-2.0
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
 License for the specific language governing permissions and limitations under
 the License.
 .
 On Debian systems, the complete text of the Apache License, Version 2.0 can be
 found in "/usr/share/common-licenses/Apache-2.0".
`;
}
