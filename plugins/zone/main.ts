import { main } from '../../lib/cni/dispatch.js';
import { IPAM_ARGS } from '../../lib/ipam/config.js';
import { attach } from '../../lib/zone/attach.js';
import { check } from '../../lib/zone/check.js';
import { detach } from '../../lib/zone/detach.js';
import { gc } from '../../lib/zone/gc.js';
import { status } from '../../lib/zone/status.js';

main(
  {
    name: 'zone',
    about: 'zone: attach containers to systemd-networkd zone bridges (vz-<zone>), beside systemd-nspawn machines',
    knownArgs: [...IPAM_ARGS, 'MAC'],
  },
  { add: attach, del: detach, check, status, gc },
);
