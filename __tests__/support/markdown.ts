/** The job summary as a CommonMark renderer sees it (GitHub's Markdown is CommonMark plus extensions). */
import { HtmlRenderer, Parser, type Node } from 'commonmark';

/** One top-level block of a document, reduced to what a reader sees. */
export type Block =
  | { heading: string; level: number }
  | { table: string[][] }
  | { html: string }
  | { paragraph: string }
  | { quote: string }
  | { list: string[] }
  | { code: string; info: string };

/** The text a node shows: its text and inline code, soft breaks as spaces. */
function textOf(node: Node): string {
  const parts: string[] = [];
  const walker = node.walker();
  for (let event = walker.next(); event !== null; event = walker.next()) {
    if (!event.entering) continue;
    const { type, literal } = event.node;
    if (type === 'text' || type === 'code' || type === 'html_inline') parts.push(literal ?? '');
    if (type === 'softbreak' || type === 'linebreak') parts.push(' ');
  }
  return parts.join('');
}

/** A whole `<table>` HTML block as its cells (header row first, HTML as written), or undefined for any other HTML. */
function tableCells(html: string): string[][] | undefined {
  const table = /^<table>(.*)<\/table>$/s.exec(html.trim())?.[1];
  if (table === undefined) return undefined;
  const cells = (row: string) => [...row.matchAll(/<t[hd]>(.*?)<\/t[hd]>/gs)].map((cell) => cell[1]!);
  return [...table.matchAll(/<tr>(.*?)<\/tr>/gs)].map((row) => cells(row[1]!));
}

function block(node: Node): Block {
  switch (node.type) {
    case 'heading':
      return { heading: textOf(node), level: node.level };
    case 'html_block': {
      const html = node.literal ?? '';
      const table = tableCells(html);
      return table !== undefined ? { table } : { html: html.trim() };
    }
    case 'paragraph':
      return { paragraph: textOf(node) };
    case 'block_quote':
      return { quote: textOf(node) };
    case 'list': {
      const items: string[] = [];
      for (let item = node.firstChild; item !== null; item = item.next) items.push(textOf(item));
      return { list: items };
    }
    case 'code_block':
      return { code: node.literal ?? '', info: node.info ?? '' };
    default:
      return { html: `unexpected ${node.type}` };
  }
}

/** The table right under the heading `text`, header row first; throws when there is none. */
export function tableAfter(markdown: string, text: string): string[][] {
  const blocks = outline(markdown);
  const at = blocks.findIndex((b) => 'heading' in b && b.heading === text);
  const next = blocks[at + 1];
  if (at < 0 || next === undefined || !('table' in next)) throw new Error(`no table under "${text}" in:\n${markdown}`);
  return next.table;
}

/** The document's top-level blocks, in order. */
export function outline(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (let node = new Parser().parse(markdown).firstChild; node !== null; node = node.next) blocks.push(block(node));
  return blocks;
}

/** The HTML a CommonMark renderer makes of the document, raw HTML passed through as GitHub passes allowed tags. */
export function renderHtml(markdown: string): string {
  return new HtmlRenderer().render(new Parser().parse(markdown));
}
