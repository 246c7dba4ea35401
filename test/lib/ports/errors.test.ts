import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { invalidMapping, portsCheckFailed } from '../../../lib/ports/errors.js';

describe('ports error codes', () => {
  it('stay in 130-139 and carry message and details', () => {
    for (const code of [ErrorCode.PortConflict, ErrorCode.PortsCheckFailed]) {
      expect(code).toBeGreaterThanOrEqual(130);
      expect(code).toBeLessThanOrEqual(139);
    }
    expect(invalidMapping('m', 'd')).toMatchObject({ code: 7, message: 'm', details: 'd' });
    expect(portsCheckFailed('m')).toMatchObject({ code: ErrorCode.PortsCheckFailed, message: 'm' });
  });
});
