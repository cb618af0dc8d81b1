/** Markdown blocks for the job summary and release notes: each stands alone, so CommonMark renders what we mean. */
import { escapeHtml, type Table } from './table.js';

// An HTML block (`<table>`, `<details>`) runs until a blank line, swallowing any Markdown written after it:
// blocks are joined by a blank line, and no text we put in an HTML block may hold one.
// An empty string is no block.
export const joinBlocks = (blocks: readonly string[]): string => blocks.filter((b) => b !== '').join('\n\n');

const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ');

/**
 * Text as Markdown that only says itself: on one line, no HTML, no emphasis, link, code or strikethrough,
 * and no `|` to break a table. `@` and `#` stay: the release body escapes those too (mentions, references).
 */
export const escapeMarkdown = (text: string): string =>
  escapeHtml(
    oneLine(text)
      .trim()
      .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`),
  );

/** Text that opens a block, which must not start a list, heading or rule there. */
const blockText = (text: string): string =>
  escapeMarkdown(text)
    .replace(/^[#+=-]/, (c) => `\\${c}`)
    .replace(/^(\d+)([.)])/, '$1\\$2');

// A heading's trailing `#`s would be read as its closing sequence.
export const heading = (text: string, level = 3): string =>
  `${'#'.repeat(level)} ${escapeMarkdown(text).replace(/#$/, '\\#')}`;
export const paragraph = (text: string): string => blockText(text);
export const quote = (text: string): string => `> ${blockText(text)}`;
export const list = (items: readonly string[]): string => items.map((item) => `- ${blockText(item)}`).join('\n');

/** A fence longer than any run of backticks in the code, so the code cannot close its block. */
export function fence(code: string): string {
  const longest = Math.max(0, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** Code shown as it is: a fenced block needs no escaping. */
export const codeBlock = (code: string, lang: string): string => `${fence(code)}${lang}\n${code}\n${fence(code)}`;

/** A collapsed section around Markdown blocks; the label is text. */
export const details = (label: string, blocks: readonly string[]): string =>
  joinBlocks([`<details><summary>${escapeHtml(oneLine(label))}</summary>`, ...blocks, '</details>']);

// A column of zeros (`0`, `0.0 MiB`) or of nothing says nothing.
const isZero = (cell: string): boolean => cell === '' || /^0(\.0+)?( |$)/.test(cell);

/**
 * A table under its heading, or nothing when it has no rows. Columns named in `hideWhenZero` are left out
 * when every row is zero or empty there. Cells are HTML already escaped by the section that made them.
 */
export function tableSection(table: Table): string {
  if (table.rows.length === 0) return '';
  const keep = table.header.map(
    (name, at) => !(table.hideWhenZero ?? []).includes(name) || table.rows.some((row) => !isZero(row[at] ?? '')),
  );
  const cells = (row: readonly string[], tag: 'th' | 'td') =>
    // An empty cell shows a dash, so a reader sees it was left empty on purpose.
    row.flatMap((cell, at) => (keep[at] ? [`<${tag}>${oneLine(cell) || '–'}</${tag}>`] : [])).join('');
  const rows = [cells(table.header, 'th'), ...table.rows.map((row) => cells(row, 'td'))];
  return joinBlocks([heading(table.heading), `<table>${rows.map((r) => `<tr>${r}</tr>`).join('')}</table>`]);
}
