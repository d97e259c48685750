import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalAuditText, hashAuditEntry, linkAuditEntries, storableText, type HashedFields } from './chain';

const entry: HashedFields = {
  id: 1,
  timestamp: 1_767_225_600_000,
  user_id: '0b9a3f0e-5a43-4c36-9d7e-3f0d2f3c1a11',
  action: 'login_success',
  resource: 'user:0b9a3f0e-5a43-4c36-9d7e-3f0d2f3c1a11',
  outcome: 'success',
  details: '{}',
  ip_address: '203.0.113.7',
  user_agent: 'Mozilla/5.0',
  request_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: '00f067aa0ba902b7',
  prev_hash: GENESIS_HASH,
};

describe('audit chain hashing', () => {
  it('is pinned: entries written today must verify with every later version of the code', () => {
    expect(canonicalAuditText(entry)).toBe(
      'drop-audit-v1|1|1767225600000|36:0b9a3f0e-5a43-4c36-9d7e-3f0d2f3c1a11|13:login_success|' +
        '41:user:0b9a3f0e-5a43-4c36-9d7e-3f0d2f3c1a11|7:success|2:{}|11:203.0.113.7|11:Mozilla/5.0|' +
        `32:4bf92f3577b34da6a3ce929d0e0e4736|16:00f067aa0ba902b7|64:${GENESIS_HASH}`,
    );
    expect(canonicalAuditText({ ...entry, user_id: null, user_agent: '' })).toContain('|-|');
    expect(canonicalAuditText({ ...entry, user_id: null, user_agent: '' })).toContain('|0:|');
    expect(hashAuditEntry(entry)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashAuditEntry({ ...entry })).toBe(hashAuditEntry(entry));
  });

  it('changes when any field changes, including the link to the previous entry', () => {
    const base = hashAuditEntry(entry);
    const changes: Partial<HashedFields>[] = [
      { id: 2 },
      { timestamp: entry.timestamp + 1 },
      { user_id: null },
      { action: 'logout' },
      { resource: 'user:other' },
      { outcome: 'failure' },
      { details: '{"a":1}' },
      { ip_address: '203.0.113.8' },
      { user_agent: null },
      { request_id: null },
      { span_id: '00f067aa0ba902b8' },
      { prev_hash: 'f'.repeat(64) },
    ];
    for (const change of changes) expect(hashAuditEntry({ ...entry, ...change }), JSON.stringify(change)).not.toBe(base);
  });

  it('cannot be fooled by moving text between fields', () => {
    const a = { ...entry, resource: 'user:a', details: '{"b":1}' };
    const b = { ...entry, resource: 'user:a|7:{"b":1}', details: '' };
    const c = { ...entry, user_id: null, action: '-' as never };
    const d = { ...entry, user_id: '-', action: null as never };
    expect(hashAuditEntry(a)).not.toBe(hashAuditEntry(b));
    expect(hashAuditEntry(c)).not.toBe(hashAuditEntry(d));
  });

  it('counts characters the way SQL length() does, and stores only what both databases can hold', () => {
    expect(canonicalAuditText({ ...entry, user_agent: 'ü🔐' })).toContain('|2:ü🔐|');
    expect(storableText('a\u0000b')).toBe('ab');
    expect(storableText('x\ud800y\udc00z🔐')).toBe('x\ufffdy\ufffdz🔐');
  });

  it('links entries in order: each prev_hash is the hash of the entry before it', () => {
    const { prev_hash: _unlinked, ...first } = entry;
    const linked = linkAuditEntries(GENESIS_HASH, [first, { ...first, id: 2 }, { ...first, id: 3 }]);
    expect(linked.map((row) => row.prev_hash)).toEqual([GENESIS_HASH, linked[0]!.hash, linked[1]!.hash]);
    for (const row of linked) expect(row.hash).toBe(hashAuditEntry(row));
    expect(linked[0]!.hash).toBe(hashAuditEntry(entry));
  });
});
