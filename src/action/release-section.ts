/** The marked ecr-publish section of a GitHub release body: rendering it, and putting it into a body. */
import type { PublishReport } from '../publish/report.js';
import { packUsageLines } from './pack-usage.js';
import { codeBlock, escapeMarkdown } from './markdown.js';

export const SECTION_START = '<!-- ecr-publish:start -->';
export const SECTION_END = '<!-- ecr-publish:end -->';
/** GitHub refuses a longer release body (422); it counts characters, not UTF-16 units. */
export const RELEASE_BODY_LIMIT = 125_000;

// Release bodies are Markdown with HTML: names and tags are data, so a cell can neither start HTML nor
// break the table, nor format or link anything; here not mention (`@`) or reference (`#`) either.
const escapeCell = (text: string): string => escapeMarkdown(text).replace(/[@#]/g, (c) => `\\${c}`);

/** The section, markers included: a table of every published image, then the pack lines for builders. */
export function renderReleaseSection(report: PublishReport): string {
  const rows = report.images.map((image) => {
    const heldBack = image.heldBackTags.map((h) => h.tag);
    const tags = image.tags.join(', ') + (heldBack.length > 0 ? ` (held back: ${heldBack.join(', ')})` : '');
    return `| ${[image.repository, tags, image.digest, image.source].map(escapeCell).join(' | ')} |`;
  });
  const lines = [
    SECTION_START,
    `### Amazon ECR images`,
    '',
    `Published by ecr-publish to ${escapeCell(report.registry)}.`,
    '',
    '| ECR reference | Tags | Digest | Source |',
    '| --- | --- | --- | --- |',
    ...rows,
  ];
  const pack = packUsageLines(report).join('\n');
  if (pack !== '') lines.push('', 'Build with the builders from ECR:', '', codeBlock(pack, 'sh'));
  const inner = lines.slice(1).join('\n');
  // Only the code block is not escaped; a marker in it would damage the section on the next run.
  if (inner.includes(SECTION_START) || inner.includes(SECTION_END))
    throw new Error('release-notes: a published name contains an ecr-publish section marker');
  // A blank line ends the table before the end marker, whatever the renderer makes of an HTML comment there.
  return [...lines, '', SECTION_END].join('\n');
}

/** Where the section is in a body: absent, or the span from its start marker to the end of its end marker. */
export function findSection(body: string): { start: number; end: number } | undefined {
  const starts = occurrences(body, SECTION_START);
  const ends = occurrences(body, SECTION_END);
  if (starts.length === 0 && ends.length === 0) return undefined;
  if (starts.length !== 1 || ends.length !== 1 || ends[0]! < starts[0]!) {
    // Guessing which text belongs to us could delete the author's words: leave it to a person.
    throw new Error(
      `the release body has ${starts.length} ${SECTION_START} and ${ends.length} ${SECTION_END} marker(s)` +
        `${starts.length === 1 && ends.length === 1 ? ' in the wrong order' : ''}; ` +
        'expected one pair or none: remove the damaged ecr-publish section by hand and re-run',
    );
  }
  return { start: starts[0]!, end: ends[0]! + SECTION_END.length };
}

function occurrences(text: string, marker: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + marker.length)) found.push(at);
  return found;
}

/** The body with the section replaced, or appended after a blank line; every other character kept as it was. */
export function withReleaseSection(body: string, section: string): string {
  const span = findSection(body);
  const next =
    span !== undefined
      ? body.slice(0, span.start) + section + body.slice(span.end)
      : body === ''
        ? section
        : `${body}${/\n\s*$/.test(body) ? '\n' : '\n\n'}${section}`;
  const length = [...next].length;
  if (length > RELEASE_BODY_LIMIT)
    throw new Error(
      `the release body would be ${length} characters with the ecr-publish section, over GitHub's limit of ` +
        `${RELEASE_BODY_LIMIT}; it was left unchanged`,
    );
  return next;
}
