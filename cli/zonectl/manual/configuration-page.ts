// cni-zones(7): the plugins' configuration, from the text of docs/configuration.md, so the page
// on the web and the manual are one text (the page itself is tied to the schemas by a test).
import { appendMarkdown } from './markdown-roff.js';
import { RoffPage, text } from './roff.js';

export function renderConfigurationManPage(markdown: string, version: string): string {
  const page = new RoffPage({ title: 'CNI-ZONES', section: 7, source: `cni-zones ${version}`, manual: 'cni-zones' });
  page.section('NAME').line(`cni\\-zones \\- configuration of the CNI plugins zone, zone\\-ipam and zone\\-ports`);
  page.section('DESCRIPTION');
  page.paragraph(
    text(
      'The plugins zone, zone-ipam and zone-ports of cni-zones read their configuration as JSON on stdin, ' +
        "from the runtime's network configuration list (a .conflist in /etc/cni/net.d). " +
        'This page lists every field they read; zonectl(8) is the command that attaches systemd-nspawn machines and installs the plugins.',
    ),
  );
  appendMarkdown(page, markdown);
  page.section('SEE ALSO');
  page.paragraph(text('zonectl(8), systemd-nspawn(1), systemd.network(5), systemd-networkd(8), nft(8)'));
  return page.toString();
}
