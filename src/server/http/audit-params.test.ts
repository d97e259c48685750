import { describe, expect, it } from 'vitest';
import { auditFilters, auditListParams } from './audit-params';

describe('audit list parameters', () => {
  it('filters by a request id that is a trace id (the contract’s audit column)', () => {
    const params = auditListParams.parse({ request_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(auditFilters(params).requestId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('rejects the all-zero id and other shapes', () => {
    for (const requestId of ['0'.repeat(32), 'ABC', '4BF92F3577B34DA6A3CE929D0E0E4736']) {
      const result = auditListParams.safeParse({ request_id: requestId });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]).toMatchObject({ path: ['request_id'] });
    }
  });
});
