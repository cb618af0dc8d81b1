/** An action's stdout (workflow commands) and job summary (Markdown with HTML) rendered as a terminal reader wants them. */

const ANNOTATIONS = new Set(['error', 'warning', 'notice']);
// Commands the runner acts on silently; with file commands most are gone, but a log may still hold them.
const SILENT = new Set(['add-mask', 'debug', 'set-output', 'save-state', 'set-env', 'add-path', 'echo']);
const COMMAND = /^::([A-Za-z][\w-]*)(?: ([^:]*))?::(.*)$/;

/** Workflow-command escapes (`%25`, `%0D`, `%0A`, and in properties `%3A`, `%2C`), decoded in one pass. */
const decode = (text: string): string =>
  text.replace(/%(25|0D|0A|3A|2C)/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16)));

function properties(text: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) result[pair.slice(0, at).trim()] = decode(pair.slice(at + 1));
  }
  return result;
}

/** `file:line:col: ` when an annotation names a place, as compilers print it. */
function location(props: Record<string, string>): string {
  if (props.file === undefined) return '';
  const line = props.line ?? props.startLine;
  const col = line !== undefined ? (props.col ?? props.startColumn) : undefined;
  return `${[props.file, line, col].filter((p) => p !== undefined).join(':')}: `;
}

/**
 * The runner's view of `stdout`: `::group::X` becomes a heading and its lines are indented,
 * `::endgroup::` ends it, annotations read `error: …`, masks and debug lines are dropped, escapes
 * are decoded, and a multi-line message keeps each of its lines on a line of its own.
 */
export function renderRunnerLog(stdout: string): string {
  const out: string[] = [];
  let indent = '';
  let stopToken: string | undefined;
  const emit = (first: string, text: string) => {
    const [head = '', ...rest] = text.split(/\r?\n/);
    out.push(`${indent}${first}${head}`);
    for (const line of rest) out.push(`${indent}${' '.repeat(first.length)}${line}`);
  };
  const lines = stdout.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const match = COMMAND.exec(line.trimStart());
    if (stopToken !== undefined) {
      if (match !== null && match[1] === stopToken && match[3] === '') stopToken = undefined;
      else out.push(`${indent}${line}`);
      continue;
    }
    if (match === null) {
      out.push(`${indent}${line}`);
      continue;
    }
    const [, command = '', props, data = ''] = match;
    const message = decode(data);
    if (command === 'group') {
      out.push(`▸ ${message.replace(/\s*\r?\n\s*/g, ' ')}`);
      indent = '  ';
    } else if (command === 'endgroup') {
      indent = '';
    } else if (command === 'stop-commands') {
      stopToken = data;
    } else if (ANNOTATIONS.has(command)) {
      const p = properties(props);
      emit(`${command}: `, `${location(p)}${p.title !== undefined ? `${p.title}: ` : ''}${message}`);
    } else if (!SILENT.has(command)) {
      out.push(`${indent}${line}`); // an unknown command: the runner prints it as it is
    }
  }
  return out.join('\n');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** HTML character references, decoded in one pass so `&amp;lt;` stays `&lt;`. */
const decodeEntities = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });

/** Text of an inline fragment (a cell, a heading): tags dropped, whitespace folded. */
const inline = (html: string): string =>
  decodeEntities(html.replace(/<br\s*\/?>/gi, ' ').replace(/<[^>]*>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();

/** Marks a rendered block's place; a character HTML text cannot hold. */
const MARK = '\u0000';

/** `| a | b |` per row; a cell ends where the next begins, as @actions/core leaves an empty `<td>` open. */
function tableText(html: string): string {
  const rows = html.split(/<tr\b[^>]*>/i).slice(1);
  const text = rows.map((row) => {
    const cells = row.split(/<t[hd]\b[^>]*>/i).slice(1);
    return `| ${cells.map((cell) => inline(cell)).join(' | ')} |`;
  });
  return text.join('\n');
}

/** Markdown backslash escapes (`\\_` for `_`) undone. */
const unescapeMarkdown = (text: string): string => text.replace(/\\([!-/:-@[-`{-~])/g, '$1');

/**
 * The job summary as plain text: `### heading`, a `| cell | cell |` line per table row, a details
 * block as `▸ label` with its content indented, code and preformatted text kept, every block on lines of its own.
 */
export function summaryAsText(html: string): string {
  // Rendered blocks wait behind placeholders, so their decoded text is never read as HTML again.
  const blocks: string[] = [];
  const keep = (text: string): string => `\n${MARK}${blocks.push(text) - 1}${MARK}\n`;
  const text = html
    .replace(/^(`{3,})[^\n]*\n([\s\S]*?)\n\1$/gm, (_, fence: string, code: string) => keep(code))
    .replace(/<details\b[^>]*>([\s\S]*?)<\/details>/gi, (_, inner: string) => {
      const label = /<summary\b[^>]*>([\s\S]*?)<\/summary>/i.exec(inner);
      const body = summaryAsText(inner.replace(/<summary\b[^>]*>[\s\S]*?<\/summary>/i, ''));
      const indented = body.split('\n').map((line) => (line === '' ? '' : `  ${line}`));
      return keep(`\n▸ ${inline(label?.[1] ?? 'Details')}\n${indented.join('\n')}`);
    })
    .replace(/^(#{1,6}) (.*)$/gm, (_, level: string, inner: string) =>
      keep(`\n${level} ${inline(unescapeMarkdown(inner))}`),
    )
    .replace(/<table\b[^>]*>([\s\S]*?)<\/table>/gi, (_, inner: string) => keep(tableText(inner)))
    .replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1>/gi, (_, level: string, inner: string) =>
      keep(`\n${'#'.repeat(Number(level))} ${inline(inner)}`),
    )
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<hr\b[^>]*>/gi, '\n---\n')
    .replace(/<br\s*\/?>|<\/?(p|pre|ul|ol|blockquote|div)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '');
  // Blank lines come only before headings and details, which carry their own.
  return decodeEntities(unescapeMarkdown(text))
    .replace(/\n(\s*\n)+/g, '\n')
    .replace(new RegExp(`${MARK}(\\d+)${MARK}`, 'g'), (_, i: string) => blocks[Number(i)] ?? '')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
