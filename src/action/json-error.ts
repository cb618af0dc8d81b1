/** Where JSON text first goes wrong, as line and column, so an error can point at it without quoting it. */
// JSON.parse's messages quote the text (and Node 20 gives no position for some errors), so we scan ourselves.

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// JSON forbids raw control characters in strings, so the pattern must name them.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /true|false|null/y;

class Failed extends Error {
  constructor(readonly offset: number) {
    super('invalid JSON');
  }
}

function skip(text: string, at: number): number {
  WHITESPACE.lastIndex = at;
  WHITESPACE.test(text);
  return WHITESPACE.lastIndex;
}

function token(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  if (!pattern.test(text)) throw new Failed(at);
  return pattern.lastIndex;
}

function expect(text: string, at: number, char: string): number {
  if (text[at] !== char) throw new Failed(at);
  return at + 1;
}

/** Offset after a members/elements list closed by `close`; `item` reads one entry. */
function list(text: string, at: number, close: string, item: (at: number) => number): number {
  let i = skip(text, at + 1);
  if (text[i] === close) return i + 1;
  for (;;) {
    i = skip(text, item(skip(text, i)));
    if (text[i] === close) return i + 1;
    i = expect(text, i, ',');
  }
}

function value(text: string, at: number): number {
  const char = text[at];
  if (char === '{') {
    return list(text, at, '}', (i) => value(text, skip(text, expect(text, skip(text, token(STRING, text, i)), ':'))));
  }
  if (char === '[') return list(text, at, ']', (i) => value(text, i));
  if (char === '"') return token(STRING, text, at);
  if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return token(NUMBER, text, at);
  return token(LITERAL, text, at);
}

/** The offset of the first error in `text`; undefined when it is valid JSON (or nests too deep to scan). */
export function jsonErrorOffset(text: string): number | undefined {
  try {
    const end = skip(text, value(text, skip(text, 0)));
    return end === text.length ? undefined : end;
  } catch (error) {
    if (error instanceof Failed) return error.offset;
    // Nesting deeper than the stack: no position, rather than a crash.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** `line L, column C` (1-based) of the first error, or undefined when the text is valid JSON. */
export function jsonErrorLocation(text: string): string | undefined {
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}
