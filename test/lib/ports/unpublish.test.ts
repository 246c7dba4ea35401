import { existsSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Element } from '../../../lib/nft/objects.js';
import type { PortsRequest } from '../../../lib/ports/request.js';
import { listStates, statePath, writeState } from '../../../lib/ports/state.js';
import { collectPorts, unpublishPorts } from '../../../lib/ports/unpublish.js';
import { makeTestTempDir } from '../../support/paths.js';
import { exists, isList, listingJson, notFound, RecordingExecutor, recordingFlows } from './helpers.js';

const owner = { network: 'web', containerId: 'c1', ifname: 'eth0' };
const el = (containerId: string, port: string, network = 'web'): Element => ({
  kind: 'element',
  set: 'ports_any_v4',
  key: ['tcp', port],
  value: ['10.89.0.5', '80'],
  comment: `ports ${network} ${containerId} eth0`,
});
const target = (containerId: string): Element => ({ kind: 'element', set: 'ports_targets_v4', key: ['10.89.0.5'], comment: `ports web ${containerId} eth0` });
const shared: Element = { kind: 'element', set: 'ports_hairpin_v4', key: ['10.89.0.0/24', '10.89.0.0/24'], comment: 'ports shared' };

let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-unpublish');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const request = (mappings: PortsRequest['mappings'] = undefined): PortsRequest => ({ owner, mappings, config: { localhost: true, stateDir } });

describe('unpublishPorts', () => {
  it('removes the recorded elements in one tolerant transaction, no listing, and the record', async () => {
    writeState(stateDir, { owner, elements: [el('c1', '8080'), target('c1')] });
    const nft = new RecordingExecutor();
    await unpublishPorts(request(), { executor: nft });
    expect(nft.calls).toHaveLength(1);
    expect(nft.inputs[0]).toBe(
      [
        'add element inet cni_zones ports_any_v4 { tcp . 8080 comment "ports web c1 eth0" : 10.89.0.5 . 80 }',
        'add element inet cni_zones ports_targets_v4 { 10.89.0.5 comment "ports web c1 eth0" }',
        'delete element inet cni_zones ports_any_v4 { tcp . 8080 }',
        'delete element inet cni_zones ports_targets_v4 { 10.89.0.5 }',
        '',
      ].join('\n'),
    );
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('without a record lists the table and removes exactly what carries its tag', async () => {
    const nft = new RecordingExecutor((call) => (isList(call) ? listingJson([el('c1', '8080'), el('c2', '8081'), el('c1', '8082', 'db'), target('c1'), shared]) : ''));
    await unpublishPorts(request(), { executor: nft });
    expect(nft.inputs).toEqual(['delete element inet cni_zones ports_any_v4 { tcp . 8080 }\ndelete element inet cni_zones ports_targets_v4 { 10.89.0.5 }\n']);
  });

  it('falls back to the listing when the record no longer matches the table', async () => {
    writeState(stateDir, { owner, elements: [el('c1', '8080')] });
    let applies = 0;
    const nft = new RecordingExecutor((call) => (isList(call) ? listingJson([el('c2', '8080')]) : ++applies === 1 ? exists() : ''));
    await unpublishPorts(request(), { executor: nft });
    expect(nft.calls.filter(isList)).toHaveLength(1);
    expect(nft.inputs).toHaveLength(1);
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('succeeds when everything is already gone: no table, with or without a record', async () => {
    const nft = new RecordingExecutor(() => notFound());
    await unpublishPorts(request(), { executor: nft });
    writeState(stateDir, { owner, elements: [el('c1', '8080')] });
    await unpublishPorts(request(), { executor: nft });
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('with no mappings asked for and no record, still removes everything carrying its tag', async () => {
    const local: Element = { kind: 'element', set: 'ports_addr_v4', key: ['tcp', '127.0.0.1', '8081'], value: ['10.89.0.5', '80'], comment: 'ports web c1 eth0' };
    const nft = new RecordingExecutor((call) => (isList(call) ? listingJson([el('c1', '8080'), local, el('c2', '8082'), target('c1')]) : ''));
    await unpublishPorts(request([]), { executor: nft });
    expect(nft.inputs).toEqual([
      [
        'delete element inet cni_zones ports_any_v4 { tcp . 8080 }',
        'delete element inet cni_zones ports_addr_v4 { tcp . 127.0.0.1 . 8081 }',
        'delete element inet cni_zones ports_targets_v4 { 10.89.0.5 }',
        '',
      ].join('\n'),
    ]);
  });

  it('costs one nft run for any number of recorded elements, and one listing more when the record is stale', async () => {
    const recorded = (n: number) => Array.from({ length: n }, (_, i) => [el('c1', String(1000 + i)), { ...el('c1', String(1000 + i)), set: 'ports_any_v6', value: ['fd89::5', '80'] }]).flat();
    for (const n of [1, 100, 10_000]) {
      writeState(stateDir, { owner, elements: [...recorded(n), target('c1')] });
      const nft = new RecordingExecutor();
      await unpublishPorts(request(), { executor: nft });
      expect(nft.calls).toHaveLength(1);
      expect(nft.inputs[0]?.split('\n')).toHaveLength(7);

      writeState(stateDir, { owner, elements: [...recorded(n), target('c1')] });
      let applies = 0;
      const stale = new RecordingExecutor((call) => (isList(call) ? listingJson(recorded(n)) : ++applies === 1 ? exists() : ''));
      await unpublishPorts(request(), { executor: stale });
      expect(stale.calls).toHaveLength(3);
      expect(stale.inputs[1]?.split('\n')).toHaveLength(3);
    }
  });

  it('passes other failures on', async () => {
    writeState(stateDir, { owner, elements: [el('c1', '8080')] });
    const nft = new RecordingExecutor(() => new Error('boom'));
    await expect(unpublishPorts(request(), { executor: nft })).rejects.toThrow('boom');
  });
});

describe('collectPorts', () => {
  it("removes this network's attachments that are not valid, and their records", async () => {
    for (const containerId of ['c1', 'c2']) writeState(stateDir, { owner: { ...owner, containerId }, elements: [] });
    writeState(stateDir, { owner: { ...owner, network: 'db', containerId: 'c3' }, elements: [] });
    const nft = new RecordingExecutor((call) => (isList(call) ? listingJson([el('c1', '1'), el('c2', '2'), el('c3', '3', 'db'), target('c2'), shared]) : ''));
    await collectPorts('web', [{ containerID: 'c1', ifname: 'eth0' }], { localhost: true, stateDir }, { executor: nft });
    expect(nft.inputs).toEqual(['delete element inet cni_zones ports_any_v4 { tcp . 2 }\ndelete element inet cni_zones ports_targets_v4 { 10.89.0.5 }\n']);
    expect(listStates(stateDir).map((s) => s.owner.containerId).sort()).toEqual(['c1', 'c3']);
  });

  it('removes nothing without a list of valid attachments', async () => {
    const nft = new RecordingExecutor();
    await collectPorts('web', undefined, { localhost: true, stateDir }, { executor: nft });
    expect(nft.calls).toEqual([]);
  });
});

describe('flows of removed UDP ports', () => {
  const udp = (port: string): Element => ({ ...el('c1', port), key: ['udp', port] });

  it('are forgotten after DEL, by the record and by the tag alike, and after GC', async () => {
    writeState(stateDir, { owner, elements: [udp('53'), el('c1', '80'), target('c1')] });
    const flows = recordingFlows();
    await unpublishPorts(request(), { executor: new RecordingExecutor(), flows });
    const tagged = new RecordingExecutor((call) => (isList(call) ? listingJson([udp('5353'), el('c2', '80')]) : ''));
    await unpublishPorts(request([]), { executor: tagged, flows });
    const gc = new RecordingExecutor((call) => (isList(call) ? listingJson([udp('54')]) : ''));
    await collectPorts('web', [], { localhost: true, stateDir }, { executor: gc, flows });
    expect(flows.asked.map((d) => d.map((x) => x.port))).toEqual([[53], [5353], [54]]);
  });
});

