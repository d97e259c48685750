import { afterAll, beforeAll } from 'vitest';
import { startApp, type AppServer } from './app-server';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';

export interface OtlpApp {
  app: AppServer;
  receiver: OtlpReceiver;
  database: TestDatabase;
}

/**
 * For the enclosing describe: a fresh database, an OTLP receiver, and the app exporting to it with
 * OTEL_EXPORTER_OTLP_ENDPOINT set to the receiver plus `env`; all stopped afterwards. Use the returned getter in tests.
 */
export function useAppExportingToReceiver(dialect: DialectName, env: Record<string, string>): () => OtlpApp {
  let fixture: OtlpApp | undefined;
  let database: TestDatabase | undefined;
  let receiver: OtlpReceiver | undefined;
  let app: AppServer | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    receiver = await startOtlpReceiver();
    app = await startApp({ databaseUrl: database.url, env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    fixture = { app, receiver, database };
  });

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
    await database?.drop();
  });

  return () => {
    if (!fixture) throw new Error('the OTLP app fixture is not started: call useAppExportingToReceiver() in a describe');
    return fixture;
  };
}
