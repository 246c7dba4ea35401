import { describe, expect, it } from 'vitest';
import { renderPorts } from '../../../../cli/zonectl/commands/ports.js';

describe('renderPorts', () => {
  it('shows where each host port leads and whose it is', () => {
    const text = renderPorts([
      {
        hostPort: 8080,
        containerPort: 80,
        protocol: 'tcp',
        network: 'zones',
        containerId: 'web',
        ifname: 'eth0',
        containerAddresses: ['10.89.0.2', 'fd89::2'],
      },
      {
        hostPort: 53,
        containerPort: 53,
        protocol: 'udp',
        hostIP: '127.0.0.1',
        network: 'zones',
        containerId: 'dns',
        ifname: 'eth0',
        containerAddresses: ['10.89.0.3'],
      },
    ]);
    expect(text).toBe(
      [
        'PROTO  HOST                                   CONTAINER     MACHINE  NETWORK',
        'tcp    *:8080 (every address, 127.0.0.1 too)  10.89.0.2:80  web      zones',
        '                                              [fd89::2]:80',
        'udp    127.0.0.1:53                           10.89.0.3:53  dns      zones',
        '',
      ].join('\n'),
    );
  });

  it('says when there are none', () => {
    expect(renderPorts([])).toBe('No published ports.\n');
  });
});
