// CNI_ARGS keys IPAM reads; a plugin that runs IPAM in-process accepts them too. A module of
// its own so that a plugin's entry point can name them without loading IPAM's schemas.
export const IPAM_ARGS = ['IP'] as const;
