// One backup attempt's outcome as an OTLP log record, sent through the layer's own SDK and exporter to
// OTEL_EXPORTER_OTLP_ENDPOINT (compose: the collector, which forwards it to the alert processor). Called by
// scripts/backup-scheduler.sh after each attempt, bundled as scripts/dist/backup-event.mjs:
//   backup-event.mjs succeeded|failed --interval S --attempt N --next S [--error-type CODE] --message TEXT
// Resource service.name drop-backup (unless OTEL_SERVICE_NAME says otherwise); EventName and the `event.name`
// attribute backup.succeeded (INFO) or backup.failed (ERROR, with error.type); the message as the one-line body.
// Exit 0: sent, or nothing to send (OTEL_SDK_DISABLED, OTEL_LOGS_EXPORTER=none); the export is bounded (5 s) and
// its failure is not this command's: the scheduler's JSON line on stdout remains the record of the attempt.
// Exit 2: bad arguments.
import { parseArgs } from 'node:util';
import { ATTR_OTEL_EVENT_NAME } from '@opentelemetry/semantic-conventions';
import {
  ATTR_BACKUP_ATTEMPT,
  ATTR_BACKUP_INTERVAL_SECONDS,
  ATTR_BACKUP_NEXT_ATTEMPT_SECONDS,
  ATTR_ERROR_TYPE,
  EVENT_BACKUP_FAILED,
  EVENT_BACKUP_SUCCEEDED,
} from '@otel';
import { withCommandTelemetry } from '@otel/command';

const USAGE = 'usage: backup-event succeeded|failed --interval SECONDS --attempt N --next SECONDS [--error-type CODE] --message TEXT';

function wholeNumber(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value))
    throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}\n${USAGE}`);
  return Number(value);
}

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      interval: { type: 'string' },
      attempt: { type: 'string' },
      next: { type: 'string' },
      'error-type': { type: 'string' },
      message: { type: 'string' },
    },
  });
  const [outcome] = positionals;
  if (positionals.length !== 1 || (outcome !== 'succeeded' && outcome !== 'failed')) throw new Error(USAGE);
  const errorType = values['error-type'];
  if (outcome === 'failed' && !errorType) throw new Error(`a failure needs --error-type\n${USAGE}`);
  return {
    failed: outcome === 'failed',
    interval: wholeNumber('interval', values.interval),
    attempt: wholeNumber('attempt', values.attempt),
    next: wholeNumber('next', values.next),
    errorType,
    // One line: a multi-line error would not read as an alert's title.
    message: (values.message ?? '').replace(/\s+/g, ' ').trim() || (outcome === 'failed' ? 'backup failed' : 'backup succeeded'),
  };
}

async function main(): Promise<number> {
  let event;
  try {
    event = parse();
  } catch (error) {
    process.stderr.write(`backup-event: ${(error as Error).message}\n`);
    return 2;
  }
  const name = event.failed ? EVENT_BACKUP_FAILED : EVENT_BACKUP_SUCCEEDED;
  await withCommandTelemetry('drop-backup', (logger) => {
    const fields = {
      [ATTR_OTEL_EVENT_NAME]: name,
      'event.name': name,
      [ATTR_BACKUP_INTERVAL_SECONDS]: event.interval,
      [ATTR_BACKUP_ATTEMPT]: event.attempt,
      [ATTR_BACKUP_NEXT_ATTEMPT_SECONDS]: event.next,
      ...(event.failed ? { [ATTR_ERROR_TYPE]: event.errorType } : {}),
    };
    if (event.failed) logger.error(fields, event.message);
    else logger.info(fields, event.message);
  });
  return 0;
}

main().then((code) => process.exit(code));
