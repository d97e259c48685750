import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LifecycleAlert } from '../rules/rules';
import type { AlertStore } from './database';
import { Outbox, type NewEntry } from './outbox';
import { createTestStore, STORE_KINDS, type TestStore } from './test-stores';

// The outbox on each store it runs on: group windows, receivers, relayed entries, claims and what was posted.
const message = { text: 'x', blocks: [] };
const alert = (service: string, type: LifecycleAlert['type'] = 'app.started'): LifecycleAlert => ({
  type,
  service,
  atMs: 0,
  event: { kind: 'lifecycle', event: type, service, timeMs: 0 },
});
const entry = (service: string, type: LifecycleAlert['type'] = 'app.started', receiver: NewEntry['receiver'] = 'slack'): NewEntry => ({
  alert: alert(service, type),
  message,
  receiver,
});
const services = (entries: { alert: { service: string } }[]) => entries.map((e) => e.alert.service);

describe.each(STORE_KINDS)('Outbox on %s', (kind) => {
  let test: TestStore;
  let store: AlertStore;
  let outbox: Outbox;
  const enqueue = async (e: NewEntry, now: number, groupMs = 0) => (await outbox.enqueue([e], now, groupMs))[0]!;
  const reopen = async () => {
    await store.close();
    store = await test.open();
    outbox = new Outbox(store.db);
  };

  beforeEach(async () => {
    test = await createTestStore(kind);
    store = await test.open();
    outbox = new Outbox(store.db);
  });

  afterEach(async () => {
    await store.close();
    await test.drop();
  });

  it('alerts of one type join the open group (same due time); another type opens its own', async () => {
    await enqueue(entry('a'), 1_000, 5_000);
    await enqueue(entry('b'), 3_000, 5_000);
    await enqueue(entry('a', 'app.stopping'), 3_500, 5_000);
    expect(await outbox.nextGroup(5_999, 20)).toEqual([]);
    expect(services(await outbox.nextGroup(6_000, 20))).toEqual(['a', 'b']);
    expect(await outbox.nextAttemptAt()).toBe(6_000);
    // After its window closed, an alert of that type opens a new group.
    await enqueue(entry('c'), 6_500, 5_000);
    expect((await outbox.entries()).map((e) => [e.alert.service, e.alert.type])).toEqual([
      ['a', 'app.started'],
      ['b', 'app.started'],
      ['a', 'app.stopping'],
      ['c', 'app.started'],
    ]);
    // One type at a time, the oldest due first; c's group is not due before 11.5 s.
    const started = await outbox.nextGroup(11_499, 20);
    expect(services(started)).toEqual(['a', 'b']);
    await outbox.remove(started.map((e) => e.id));
    const stopping = await outbox.nextGroup(11_499, 20);
    expect(stopping.map((e) => `${e.alert.type}:${e.alert.service}`)).toEqual(['app.stopping:a']);
    await outbox.remove([stopping[0]!.id]);
    expect(await outbox.nextGroup(11_499, 20)).toEqual([]);
    expect(services(await outbox.nextGroup(11_500, 20))).toEqual(['c']);
  });

  it('a group that failed once is not joined (it is waiting to be retried); at most `max` entries at once', async () => {
    const first = await enqueue(entry('a'), 0, 1_000);
    await outbox.retryAt([first], 10_000);
    await enqueue(entry('b'), 2_000, 1_000);
    expect(services(await outbox.nextGroup(3_000, 20))).toEqual(['b']);
    await outbox.enqueue([entry('c'), entry('d'), entry('e')], 2_000, 0);
    expect(services(await outbox.nextGroup(3_000, 2))).toEqual(['b', 'c']);
    expect((await outbox.entries()).find((e) => e.id === first)?.attempts).toBe(1);
  });

  it('without a group window every alert is due at once; the group survives a reopen', async () => {
    await enqueue(entry('a'), 1_000, 0);
    expect(services(await outbox.nextGroup(1_000, 20))).toEqual(['a']);
    await enqueue(entry('b', 'app.stopping'), 1_000, 30_000);
    await reopen();
    await enqueue(entry('c', 'app.stopping'), 20_000, 30_000);
    expect((await outbox.nextGroup(30_999, 20)).map((e) => e.alert.type)).toEqual(['app.started']);
    await outbox.remove([(await outbox.entries())[0]!.id]);
    expect(services(await outbox.nextGroup(31_000, 20))).toEqual(['b', 'c']);
  });

  it('one entry per receiver, grouped and retried on its own', async () => {
    await outbox.enqueue([entry('a', 'app.started', 'slack'), entry('a', 'app.started', 'email')], 1_000, 5_000);
    await enqueue(entry('b', 'app.started', 'email'), 2_000, 5_000);
    const slack = await outbox.nextGroup(6_000, 20);
    expect(slack.map((e) => `${e.receiver}:${e.alert.service}`)).toEqual(['slack:a']);
    await outbox.retryAt([slack[0]!.id], 60_000);
    expect((await outbox.nextGroup(6_000, 20)).map((e) => `${e.receiver}:${e.alert.service}`)).toEqual(['email:a', 'email:b']);
  });

  it('removeLater deletes only later entries of that type and service', async () => {
    const missing = await enqueue(
      { alert: { type: 'heartbeat_missing', service: 'a', atMs: 0, silentForMs: 1, timeoutMs: 1 }, message, receiver: 'slack' },
      0,
    );
    await enqueue(
      { alert: { type: 'heartbeat_resumed', service: 'b', atMs: 0, silentForMs: 1, timeoutMs: 1 }, message, receiver: 'slack' },
      0,
    );
    await enqueue(
      { alert: { type: 'heartbeat_resumed', service: 'a', atMs: 0, silentForMs: 1, timeoutMs: 1 }, message, receiver: 'slack' },
      0,
    );
    expect(await outbox.removeLater('heartbeat_resumed', 'a', missing)).toBe(1);
    expect((await outbox.entries()).map((e) => `${e.alert.type}:${e.alert.service}`)).toEqual([
      'heartbeat_missing:a',
      'heartbeat_resumed:b',
    ]);
  });

  it('a relayed entry is kept but never due nor counted, across a reopen, until taken back', async () => {
    const a = await enqueue(entry('a'), 1_000);
    await enqueue(entry('b'), 1_000);
    await outbox.markRelayed([a], [77], 1_500);
    expect(services(await outbox.nextGroup(2_000, 20))).toEqual(['b']);
    expect(await outbox.size()).toBe(1);
    expect(await outbox.relayed()).toEqual([{ id: a, sharedId: 77, relayedAtMs: 1_500 }]);
    await reopen();
    expect(await outbox.relayed()).toEqual([{ id: a, sharedId: 77, relayedAtMs: 1_500 }]);
    await outbox.takeBack([a], 9_000);
    expect(await outbox.relayed()).toEqual([]);
    expect(services(await outbox.nextGroup(9_000, 20))).toEqual(['a', 'b']);
    expect(await outbox.size()).toBe(2);
  });

  it('two senders claiming at once never get the same entry; a claim runs out and the entry is due again', async () => {
    await outbox.enqueue(
      ['a', 'b', 'c', 'd'].map((service) => entry(service)),
      1_000,
    );
    const other = new Outbox(store.db);
    const [mine, theirs] = await Promise.all([outbox.claimGroup(2_000, 20, 10_000), other.claimGroup(2_000, 20, 10_000)]);
    const claimed = [...services(mine), ...services(theirs)].sort();
    expect(claimed).toEqual(['a', 'b', 'c', 'd']);
    expect(await outbox.claimGroup(5_000, 20, 10_000)).toEqual([]);
    expect(services(await outbox.claimGroup(12_000, 2, 10_000))).toEqual(['a', 'b']);
    expect(await outbox.stillQueued([...mine, ...theirs].map((e) => e.id))).toHaveProperty('size', 4);
  });

  it('what was posted, per type, service and receiver; resolutions wait behind what they resolve', async () => {
    expect(await outbox.lastPosted('app.started', 'a', 'slack')).toBeUndefined();
    await outbox.recordPosted([alert('a'), alert('a'), alert('b')], 'slack', 1_000);
    await outbox.recordPosted([alert('a')], 'slack', 2_000);
    expect(await outbox.lastPosted('app.started', 'a', 'slack')).toBe(2_000);
    expect(await outbox.lastPosted('app.started', 'b', 'slack')).toBe(1_000);
    expect(await outbox.lastPosted('app.started', 'a', 'email')).toBeUndefined();
    const first = await enqueue(entry('a', 'app.started', 'email'), 1_000);
    await outbox.retryAt([first], 8_000);
    const later = await enqueue(entry('a', 'app.stopping', 'email'), 1_000);
    expect(await outbox.waitingBefore('app.started', 'a', 'email', later)).toBe(8_000);
    expect(await outbox.waitingBefore('app.started', 'a', 'slack', later)).toBeUndefined();
    await outbox.postpone([later], 9_000);
    expect(await outbox.nextAttemptAt()).toBe(8_000);
    expect((await outbox.entries()).find((e) => e.id === later)?.attempts).toBe(0);
  });
});
