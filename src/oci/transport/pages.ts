/** `Link` pagination (tags, referrers), bounded: capped pages, a fixed number of them, never one URL twice. */
import { redactUrl, RegistryError } from './errors.js';
import type { RegistryResponse } from './response.js';
import type { RegistryRequest, Transport } from './transport.js';

/** A page is JSON like a manifest; no honest page is larger. */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;
/** 1,000 pages of 1,000 tags is far beyond any repository we publish to. */
export const MAX_PAGES = 1000;

/** The `rel="next"` target of a `Link` header, as written (relative or absolute). */
function nextLink(header: string | null): string | undefined {
  return /<([^>]+)>;\s*rel="?next"?/.exec(header ?? '')?.[1];
}

/**
 * Yields each page's response; the caller reads it (`bytes(MAX_PAGE_BYTES)`) or discards it
 * before asking for the next. The transport applies the URL policy and keeps Authorization
 * off a `Link` to another origin; here the walk itself is bounded.
 */
export async function* linkedPages(
  transport: Transport,
  path: string,
  request: Omit<RegistryRequest, 'method' | 'path'>,
): AsyncGenerator<RegistryResponse> {
  const seen = new Set<string>();
  let next: string | undefined = transport.resolve(path);
  while (next !== undefined) {
    if (seen.has(next)) {
      const message = `${redactUrl(next)}: pagination links back to a page already read`;
      throw new RegistryError(message, undefined, undefined, false);
    }
    if (seen.size >= MAX_PAGES) {
      throw new RegistryError(`${redactUrl(next)}: more than ${MAX_PAGES} pages; refused`, undefined, undefined, false);
    }
    seen.add(next);
    const page: RegistryResponse = await transport.send({ ...request, method: 'GET', path: next });
    const base: string = page.url || next;
    yield page;
    const link = nextLink(page.headers.get('link'));
    next = link === undefined ? undefined : new URL(link, base).toString();
  }
}
