// /usr/share/lintian/overrides/cni-zones: only tags inherent to shipping one Bun-compiled
// executable, each with why. Everything else lintian says is fixed, or listed with why in
// test/packaging/lintian.test.ts.
const OVERRIDES: ReadonlyArray<{ why: string; tag: string }> = [
  {
    why: 'Bun keeps the program in the executable\'s .bun section; measured: a strip(1)ped copy starts as plain Bun ("Script not found").',
    tag: 'unstripped-binary-or-object [usr/lib/cni-zones/cni-zones]',
  },
  {
    why: "The Bun runtime is linked into the executable with its own copies of libraries (lintian finds libjpeg's strings); there is no shared build of it to depend on.",
    tag: 'embedded-library libjpeg [usr/lib/cni-zones/cni-zones]',
  },
  {
    why: "Bun's runtime is built without PIE and RELRO; we link nothing ourselves, so there are no flags of ours to add.",
    tag: 'hardening-no-pie [usr/lib/cni-zones/cni-zones]',
  },
  { why: 'As above: the Bun runtime is built without RELRO.', tag: 'hardening-no-relro [usr/lib/cni-zones/cni-zones]' },
];

export function renderLintianOverrides(): string {
  return OVERRIDES.map((o) => `# ${o.why}\n${o.tag}\n`).join('');
}
