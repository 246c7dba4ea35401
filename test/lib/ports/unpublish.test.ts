import { existsSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeNft } from '../../../lib/nft/fake.js';
import type { Element } from '../../../lib/nft/objects.js';
import type { PortsRequest } from '../../../lib/ports/request.js';
import { listStates, statePath, writeState } from '../../../lib/ports/state.js';
import { collectPorts, unpublishPorts } from '../../../lib/ports/unpublish.js';
import { makeTestTempDir } from '../../support/paths.js';
import { elementsIn, portsTable, recordingFlows } from './helpers.js';

const owner = { network: 'web', containerId: 'c1', ifname: 'eth0' };
const addressOf: Record<string, string> = { c1: '10.89.0.5', c2: '10.89.0.6', c3: '10.89.0.7' };
const el = (containerId: string, port: string, network = 'web'): Element => ({
  kind: 'element',
  set: 'ports_any_v4',
  key: ['tcp', port],
  value: [addressOf[containerId] ?? '10.89.0.99', '80'],
  comment: `ports ${network} ${containerId} eth0`,
});
const target = (containerId: string): Element => ({
  kind: 'element',
  set: 'ports_targets_v4',
  key: [addressOf[containerId] ?? '10.89.0.99'],
  comment: `ports web ${containerId} eth0`,
});
const shared: Element = { kind: 'element', set: 'ports_hairpin_v4', key: ['10.89.0.0/24', '10.89.0.0/24'], comment: 'ports shared' };
const sharedLine = 'ports_hairpin_v4 { 10.89.0.0/24 . 10.89.0.0/24 comment "ports shared" }';

let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-unpublish');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const request = (mappings: PortsRequest['mappings'] = undefined): PortsRequest => ({
  owner,
  mappings,
  config: { localhost: true, localhost6: true, stateDir },
});
const runs = (nft: FakeNft) => nft.calls.map((call) => (call.args.includes('list') ? 'list' : 'apply'));

describe('unpublishPorts', () => {
  it('removes the recorded elements in one tolerant transaction, no listing, and the record', async () => {
    writeState(stateDir, { owner, elements: [el('c1', '8080'), target('c1')] });
    const nft = portsTable([el('c1', '8080'), target('c1'), el('c2', '8081'), target('c2'), shared]);
    await unpublishPorts(request(), { executor: nft });
    expect(runs(nft)).toEqual(['apply']);
    expect(elementsIn(nft)).toEqual([
      'ports_any_v4 { tcp . 8081 comment "ports web c2 eth0" : 10.89.0.6 . 80 }',
      sharedLine,
      'ports_targets_v4 { 10.89.0.6 comment "ports web c2 eth0" }',
    ]);
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('passes over recorded elements that are gone already', async () => {
    writeState(stateDir, { owner, elements: [el('c1', '8080'), el('c1', '8081'), target('c1')] });
    const nft = portsTable([el('c1', '8081'), shared]);
    await unpublishPorts(request(), { executor: nft });
    expect(runs(nft)).toEqual(['apply']);
    expect(elementsIn(nft)).toEqual([sharedLine]);
  });

  it('without a record lists the table and removes exactly what carries its tag', async () => {
    const nft = portsTable([el('c1', '8080'), el('c2', '8081'), el('c1', '8082', 'db'), target('c1'), shared]);
    await unpublishPorts(request(), { executor: nft });
    expect(runs(nft)).toEqual(['list', 'apply']);
    expect(elementsIn(nft)).toEqual([
      'ports_any_v4 { tcp . 8081 comment "ports web c2 eth0" : 10.89.0.6 . 80 }',
      'ports_any_v4 { tcp . 8082 comment "ports db c1 eth0" : 10.89.0.5 . 80 }',
      sharedLine,
    ]);
  });

  it('falls back to the listing when the record no longer matches the table (a key leads elsewhere now)', async () => {
    writeState(stateDir, { owner, elements: [el('c1', '8080'), target('c1')] });
    const nft = portsTable([el('c2', '8080'), target('c1')]);
    await unpublishPorts(request(), { executor: nft });
    expect(runs(nft)).toEqual(['apply', 'list', 'apply']);
    expect(elementsIn(nft)).toEqual(['ports_any_v4 { tcp . 8080 comment "ports web c2 eth0" : 10.89.0.6 . 80 }']);
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('succeeds when everything is already gone: no table, with or without a record', async () => {
    const nft = new FakeNft();
    await unpublishPorts(request(), { executor: nft });
    writeState(stateDir, { owner, elements: [el('c1', '8080')] });
    await unpublishPorts(request(), { executor: nft });
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
    expect(nft.dump()).toBe('');
  });

  it('with no mappings asked for and no record, still removes everything carrying its tag', async () => {
    const local: Element = {
      kind: 'element',
      set: 'ports_addr_v4',
      key: ['tcp', '127.0.0.1', '8081'],
      value: ['10.89.0.5', '80'],
      comment: 'ports web c1 eth0',
    };
    const nft = portsTable([el('c1', '8080'), local, el('c2', '8082'), target('c1')]);
    await unpublishPorts(request([]), { executor: nft });
    expect(elementsIn(nft)).toEqual(['ports_any_v4 { tcp . 8082 comment "ports web c2 eth0" : 10.89.0.6 . 80 }']);
  });

  it('costs one nft run for any number of recorded elements, and one listing more when the record is stale', async () => {
    const recorded = (n: number) =>
      Array.from({ length: n }, (_, i) => [
        el('c1', String(1000 + i)),
        { ...el('c1', String(1000 + i)), set: 'ports_any_v6', value: ['fd89::5', '80'] },
      ]).flat();
    for (const n of [1, 100, 10_000]) {
      writeState(stateDir, { owner, elements: [...recorded(n), target('c1')] });
      const nft = portsTable([...recorded(n), target('c1')]);
      await unpublishPorts(request(), { executor: nft });
      expect(runs(nft)).toEqual(['apply']);
      expect(elementsIn(nft)).toEqual([]);

      // another attachment holds one of the keys now: the record is stale, the tag decides
      writeState(stateDir, { owner, elements: [...recorded(n), target('c1')] });
      const stale = portsTable([...recorded(n).slice(1), el('c2', '1000')]);
      await unpublishPorts(request(), { executor: stale });
      expect(runs(stale)).toEqual(['apply', 'list', 'apply']);
      expect(elementsIn(stale)).toEqual(['ports_any_v4 { tcp . 1000 comment "ports web c2 eth0" : 10.89.0.6 . 80 }']);
    }
  });

  it('passes other failures on, and keeps the record for the next try', async () => {
    writeState(stateDir, { owner, elements: [el('c1', '8080')] });
    const nft = portsTable([el('c1', '8080')]).onRun(() => new Error('boom'));
    await expect(unpublishPorts(request(), { executor: nft })).rejects.toThrow('boom');
    expect(existsSync(statePath(stateDir, owner))).toBe(true);
  });
});

describe('collectPorts', () => {
  it("removes this network's attachments that are not valid, and their records", async () => {
    for (const containerId of ['c1', 'c2']) writeState(stateDir, { owner: { ...owner, containerId }, elements: [] });
    writeState(stateDir, { owner: { ...owner, network: 'db', containerId: 'c3' }, elements: [] });
    const nft = portsTable([el('c1', '1'), el('c2', '2'), el('c3', '3', 'db'), target('c2'), shared]);
    await collectPorts(
      'web',
      [{ network: 'web', containerId: 'c1', ifname: 'eth0' }],
      { localhost: true, localhost6: true, stateDir },
      { executor: nft },
    );
    expect(elementsIn(nft)).toEqual([
      'ports_any_v4 { tcp . 1 comment "ports web c1 eth0" : 10.89.0.5 . 80 }',
      'ports_any_v4 { tcp . 3 comment "ports db c3 eth0" : 10.89.0.7 . 80 }',
      sharedLine,
    ]);
    expect(
      listStates(stateDir)
        .map((s) => s.owner.containerId)
        .sort(),
    ).toEqual(['c1', 'c3']);
  });

  it('removes nothing without a list of valid attachments', async () => {
    const nft = portsTable([el('c1', '1')]);
    await collectPorts('web', undefined, { localhost: true, localhost6: true, stateDir }, { executor: nft });
    expect(nft.calls).toEqual([]);
  });
});

describe('flows of removed UDP ports', () => {
  const udp = (port: string, containerId = 'c1'): Element => ({ ...el(containerId, port), key: ['udp', port] });

  it('are forgotten after DEL, by the record and by the tag alike, and after GC', async () => {
    writeState(stateDir, { owner, elements: [udp('53'), el('c1', '80'), target('c1')] });
    const flows = recordingFlows();
    await unpublishPorts(request(), { executor: portsTable([udp('53'), el('c1', '80'), target('c1')]), flows });
    await unpublishPorts(request([]), { executor: portsTable([udp('5353'), el('c2', '80')]), flows });
    await collectPorts('web', [], { localhost: true, localhost6: true, stateDir }, { executor: portsTable([udp('54', 'c3')]), flows });
    expect(flows.asked.map((d) => d.map((x) => x.port))).toEqual([[53], [5353], [54]]);
  });
});
