import { describe, expect, it } from 'vitest';
import { run } from '../../../../cli/zonectl/cli.js';
import { captureIo } from '../helpers.js';

describe('zonectl demo', () => {
  it("keeps its sandbox entry point for the sandbox's PID 1", async () => {
    const io = captureIo();
    expect(await run(['__demo-sandbox', '--busybox', '/bin/busybox'], io)).toBe(1);
    expect(io.stderr).toContain('runs only as PID 1 of the demo sandbox');
    expect(io.stderr).toContain('zonectl demo');
  });

  it('takes one or two hosts, and says so before anything else', async () => {
    const io = captureIo();
    expect(await run(['demo', '--hosts', '3'], io)).toBe(2);
    expect(io.stderr).toContain('--hosts takes 1 or 2, not "3"');
    expect(io.stdout).toBe('');
  });
});
