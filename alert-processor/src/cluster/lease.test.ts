import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertStore } from '../store/database';
import { createTestStore, STORE_KINDS, type TestStore } from '../store/test-stores';
import { Lease } from './lease';

// The sender's lease on each store: one holder at a time, renewed by it, taken over once it expired, given up at a stop.
describe.each(STORE_KINDS)('Lease on %s', (kind) => {
  let test: TestStore;
  let store: AlertStore;

  beforeEach(async () => {
    test = await createTestStore(kind);
    store = await test.open();
  });

  afterEach(async () => {
    await store.close();
    await test.drop();
  });

  it('one holder until it expires or is given up', async () => {
    const a = new Lease(store.db, 'replica-a', 1_000);
    const b = new Lease(store.db, 'replica-b', 1_000);
    expect(await a.acquire(10_000)).toBe(true);
    expect(await b.acquire(10_500)).toBe(false);
    // Renewed by its holder: still not b's half a lease later.
    expect(await a.acquire(10_800)).toBe(true);
    expect(await b.acquire(11_500)).toBe(false);
    // a stops renewing: once it expired, b takes it, and a learns it lost it.
    expect(await b.acquire(11_801)).toBe(true);
    expect(await a.acquire(11_900)).toBe(false);
    expect(a.isHeld).toBe(false);
    await b.release();
    expect(await a.acquire(12_000)).toBe(true);
  });
});
