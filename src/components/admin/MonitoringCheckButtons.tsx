'use client';

import { useState } from 'react';
import { api, ApiCallError } from '@/lib/api-client';

/** The browser half of /admin/debug: an error thrown in the page, and a failing API call the page then throws. */
export function MonitoringCheckButtons() {
  const [status, setStatus] = useState('');
  return (
    <div>
      <div className="buttonRow">
        <button
          type="button"
          onClick={() => {
            throw new Error('Deliberate browser error to check the monitoring pipeline');
          }}
        >
          Throw in the browser
        </button>
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            try {
              await api('/api/admin/debug/error', { method: 'POST' });
            } catch (error) {
              const traceId = error instanceof ApiCallError ? error.body.error.traceId : undefined;
              setStatus(`The server answered with an error (trace ${traceId || 'unknown'})`);
              // Left unhandled on purpose: the browser's Sentry reports it, on the same trace as the request.
              throw error;
            }
          }}
        >
          Fail an API request
        </button>
      </div>
      <p role="status">{status}</p>
    </div>
  );
}
