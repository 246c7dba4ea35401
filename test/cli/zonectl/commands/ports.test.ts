import { describe, expect, it } from 'vitest';
import { renderPorts } from '../../../../cli/zonectl/commands/ports.js';
import type { PublishedPort } from '../../../../cli/zonectl/status/ports.js';

const web: PublishedPort = {
  hostPort: 8080,
  containerPort: 80,
  protocol: 'tcp',
  network: 'zones',
  containerId: 'web',
  ifname: 'eth0',
  containerAddresses: ['10.89.0.2', 'fd89::2'],
};

const dns: PublishedPort = {
  hostPort: 53,
  containerPort: 53,
  protocol: 'udp',
  hostIP: '127.0.0.1',
  network: 'zones',
  containerId: 'dns',
  ifname: 'eth0',
  containerAddresses: ['10.89.0.3'],
};

describe('renderPorts', () => {
  it('shows where each host port leads and whose it is', () => {
    expect(renderPorts([web, dns])).toBe(
      [
        'PROTO  HOST                                   CONTAINER     MACHINE  NETWORK',
        'tcp    *:8080 (every address, 127.0.0.1 too)  10.89.0.2:80  web      zones',
        '                                              [fd89::2]:80',
        'udp    127.0.0.1:53                           10.89.0.3:53  dns      zones',
        '',
      ].join('\n'),
    );
  });

  it('shows the [::1] listeners beside the mappings, running or not, and why UDP is not on [::1]', () => {
    const text = renderPorts([
      { ...web, loopback6: { published: true, port: 8080, target: '[fd89::2]:80', via: 'process', pid: 4242, running: true } },
      {
        ...web,
        hostPort: 8081,
        containerId: 'db',
        loopback6: {
          published: true,
          port: 8081,
          target: '10.89.0.4:80',
          via: 'systemd',
          unit: 'cni-zones-proxy-0123-8081',
          running: false,
        },
      },
      {
        ...web,
        hostPort: 5353,
        containerPort: 53,
        protocol: 'udp',
        loopback6: { published: false, reason: 'UDP is not published on [::1] (the proxy is stream-only)' },
      },
      {
        ...web,
        hostIP: '::1',
        hostPort: 9000,
        containerId: 'gone',
        recordOnly: true,
        loopback6: { published: true, port: 9000, target: '10.89.0.9:80', via: 'process', running: false },
      },
    ]);
    expect(text).toBe(
      [
        'PROTO  HOST                                   CONTAINER     MACHINE  NETWORK',
        'tcp    *:8080 (every address, 127.0.0.1 too)  10.89.0.2:80  web      zones',
        '                                              [fd89::2]:80',
        'tcp    *:8081 (every address, 127.0.0.1 too)  10.89.0.2:80  db       zones',
        '                                              [fd89::2]:80',
        'udp    *:5353 (every address, 127.0.0.1 too)  10.89.0.2:53  web      zones',
        '                                              [fd89::2]:53',
        '',
        '[::1] listeners (systemd-socket-proxyd to the container; the kernel cannot DNAT ::1):',
        'HOST        TARGET        MACHINE  NETWORK  VIA                                    STATE',
        '[::1]:8080  [fd89::2]:80  web      zones    process 4242                           running',
        '[::1]:8081  10.89.0.4:80  db       zones    unit cni-zones-proxy-0123-8081.socket  NOT RUNNING → run: zonectl repair',
        '[::1]:9000  10.89.0.9:80  gone     zones    process (pid not recorded)             NOT RUNNING → run: zonectl repair',
        '',
        'not on [::1]: udp 5353 (web): UDP is not published on [::1] (the proxy is stream-only)',
        '',
      ].join('\n'),
    );
  });

  it('says when there are none', () => {
    expect(renderPorts([])).toBe('No published ports.\n');
  });
});
