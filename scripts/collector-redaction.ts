// `npm run collector:redaction`: writes the collector's redaction rules (otel-collector.yaml, between the markers in
// processors.redaction/shared-rules) from the app's policy (otel/redact.ts, through otel/collector-rules.ts).
// `-- --check` only compares: exit 1 when they differ (the test otel/collector-rules.test.ts checks the same).
import fs from 'node:fs';
import path from 'node:path';
import { collectorRedactionRules, withCollectorRules } from '../otel/collector-rules';

const FILE = path.resolve(import.meta.dirname, '..', 'otel-collector.yaml');
const text = fs.readFileSync(FILE, 'utf8');
const generated = withCollectorRules(text, collectorRedactionRules());
if (generated === text) {
  process.stdout.write('otel-collector.yaml: the redaction rules match otel/redact.ts\n');
} else if (process.argv.includes('--check')) {
  process.stderr.write('otel-collector.yaml: the redaction rules differ from otel/redact.ts; run npm run collector:redaction\n');
  process.exit(1);
} else {
  fs.writeFileSync(FILE, generated);
  process.stdout.write('otel-collector.yaml: redaction rules written from otel/redact.ts\n');
}
