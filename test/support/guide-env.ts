/** Where a guide's `sh` blocks run: one booted machine (guides.ts) or two hosts joined by an underlay (guide-hosts.ts). */
export interface GuideEnv {
  /** Runs a bash script (bash -euo pipefail) as root on host `host` (1-based) with cwd /root/guide; resolves with the exit code and the combined stdout+stderr, never rejects on a non-zero exit. */
  run(script: string, host: number, timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  stop(): Promise<void>;
}

export interface GuideEnvOptions {
  /** Extra Debian packages in the machines' root. */
  packages: readonly string[];
  /** The .deb to place in /root/guide on every host. */
  debFile: string;
}
