/** Issue 11: text from images and registries reaches the job summary (HTML) escaped, in every place it is written. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSummary } from '../../src/action/summary.js';
import type { PublishReport } from '../../src/publish/report.js';
import { hostileRelease } from '../fixtures/reports.js';
import { renderHtml } from '../support/markdown.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';

function report(overrides: Partial<PublishReport> = {}): PublishReport {
  return { ...hostileRelease(HOSTILE), ...overrides };
}

describe('writeSummary escapes what images and registries said', () => {
  let dir: string;
  let file: string;
  const saved = process.env.GITHUB_STEP_SUMMARY;

  // @actions/core remembers the summary path, so one file for the suite, emptied per test.
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'summary-test-'));
    file = join(dir, 'summary');
    process.env.GITHUB_STEP_SUMMARY = file;
  });

  beforeEach(() => {
    writeFileSync(file, '');
  });

  afterAll(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  async function written(value: PublishReport): Promise<string> {
    await writeSummary(value);
    return readFileSync(file, 'utf8');
  }

  it('in the image, catalog and retention tables, headings, mirror details, warnings and notices', async () => {
    const summary = await written(report());
    // The pack lines are a code block: shown as they are, inert.
    expect(renderHtml(summary)).not.toContain('<img');
    expect(summary.slice(0, summary.indexOf('```sh'))).not.toContain('<img');
    // Each place: heading, source, destination, tags, held back, catalog ×2, retention ×~8, mirror details, referrers, warning, notice.
    expect(summary.split(ESCAPED).length - 1).toBeGreaterThanOrEqual(20);
    expect(summary).toContain(`<td>docker.io/x/builder:${ESCAPED}</td>`);
    expect(summary).toContain(`mirrors ${ESCAPED}`);
    expect(summary).toContain(`> ⚠️ ${ESCAPED}`);
    // Escaped once, not twice.
    expect(summary).not.toContain('&amp;lt;');
  });

  it('in the dry-run plan', async () => {
    const plan = [
      {
        source: HOSTILE,
        images: HOSTILE,
        repository: HOSTILE,
        destination: HOSTILE,
        tags: [HOSTILE],
        heldBack: [{ tag: HOSTILE, reason: HOSTILE }],
      },
    ];
    const afterCopy = [{ step: HOSTILE, detail: HOSTILE }];
    const dryRun = { dryRun: true, plan, afterCopy, retention: [], images: [], warnings: [], notices: [] };
    const summary = await written(report(dryRun));
    expect(renderHtml(summary)).not.toContain('<img');
    expect(summary).toContain(`<td>${ESCAPED}</td><td>${ESCAPED}</td><td>${ESCAPED}</td>`);
    expect(summary).toContain(`<td>${ESCAPED}: ${ESCAPED}</td>`);
  });
});
