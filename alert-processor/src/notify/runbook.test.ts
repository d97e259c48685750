import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runbookAnchor, runbookUrl } from './runbook';
import { SEVERITY_OF, type AlertType } from '../rules/rules';

describe('runbooks', () => {
  it('every alert type has its section in docs/RUNBOOKS.md, under the anchor its links use', () => {
    const page = fs.readFileSync(path.join(import.meta.dirname, '../../../docs/RUNBOOKS.md'), 'utf8');
    const headings = [...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    for (const type of Object.keys(SEVERITY_OF) as AlertType[]) expect(headings).toContain(runbookAnchor(type));
  });

  it('links the section of the configured page; no page, no link', () => {
    expect(runbookUrl('https://git.example.com/drop/blob/main/docs/RUNBOOKS.md', 'error_spike')).toBe(
      'https://git.example.com/drop/blob/main/docs/RUNBOOKS.md#error-spike',
    );
    expect(runbookUrl('https://wiki.example.com/runbooks#old', 'app.started')).toBe('https://wiki.example.com/runbooks#app-started');
    expect(runbookUrl(undefined, 'error_spike')).toBeUndefined();
  });
});
