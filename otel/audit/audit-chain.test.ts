import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalAuditText, hashAuditEntry, type HashedFields } from './audit-chain';

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
      '["drop-audit-v1",1,1767225600000,"0b9a3f0e-5a43-4c36-9d7e-3f0d2f3c1a11","login_success",' +
        '"user:0b9a3f0e-5a43-4c36-9d7e-3f0d2f3c1a11","success","{}","203.0.113.7","Mozilla/5.0",' +
        '"4bf92f3577b34da6a3ce929d0e0e4736","00f067aa0ba902b7","' + GENESIS_HASH + '"]',
    );
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
    const b = { ...entry, resource: 'user:a","{', details: '"b":1}' };
    expect(hashAuditEntry(a)).not.toBe(hashAuditEntry(b));
  });
});
