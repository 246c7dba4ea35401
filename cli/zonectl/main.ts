// zonectl: the CLI. Its commands arrive with the zonectl issue; until then it says so and fails.
const usage = `zonectl — nspawn hooks, zone status, install and demo for cni-zones

This build carries no commands yet: they arrive with zonectl.
`;

process.stderr.write(usage);
process.exitCode = process.argv.includes('--help') ? 0 : 1;
