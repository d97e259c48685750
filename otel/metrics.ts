import { metrics, type Histogram } from '@opentelemetry/api';
import { METRIC_DB_CLIENT_OPERATION_DURATION, METRIC_HTTP_SERVER_REQUEST_DURATION } from '@opentelemetry/semantic-conventions';

// Bucket boundaries recommended by the semantic conventions for duration histograms (seconds).
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

let httpDuration: Histogram | undefined;
let dbDuration: Histogram | undefined;

/**
 * Histograms Next's server does not emit itself. Without a configured MeterProvider these are the API's
 * no-op instruments, so recording costs nothing.
 */
export function httpServerDuration(): Histogram {
  httpDuration ??= metrics.getMeter('drop').createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
    unit: 's',
    description: 'Duration of HTTP server requests handled by API routes',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  return httpDuration;
}

export function dbClientDuration(): Histogram {
  dbDuration ??= metrics.getMeter('drop').createHistogram(METRIC_DB_CLIENT_OPERATION_DURATION, {
    unit: 's',
    description: 'Duration of database client operations',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  return dbDuration;
}
