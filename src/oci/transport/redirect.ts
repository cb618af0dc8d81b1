/** Redirects followed by hand: Authorization never goes to another origin, and never over plain http. */
import { isLoopbackHost } from '../reference.js';
import { redactUrl, RegistryError } from './errors.js';

const MAX_HOPS = 5;

export interface Hop {
  url: string;
  /** 0 for the request as asked; later hops are GETs (or HEADs) without a body. */
  index: number;
  /** The caller's authorization, on the original origin only. */
  authorization: string | undefined;
}

/** Writes are not redirected: a 3xx to a PUT, POST or PATCH is the answer. */
function followable(method: string, response: Response): boolean {
  if (method === 'PUT' || method === 'POST' || method === 'PATCH') return false;
  return response.status >= 300 && response.status < 400 && response.headers.get('location') !== null;
}

/** Sends hops until an answer is not a redirect to follow. */
export async function followRedirects(
  method: string,
  url: string,
  authorization: string | undefined,
  send: (hop: Hop) => Promise<Response>,
): Promise<Response> {
  const origin = new URL(url).origin;
  for (let index = 0; index <= MAX_HOPS; index++) {
    const sameOrigin = new URL(url).origin === origin;
    const response = await send({ url, index, authorization: sameOrigin ? authorization : undefined });
    if (!followable(method, response)) return response;
    await response.body?.cancel().catch(() => undefined);
    const next = new URL(response.headers.get('location')!, url);
    if (next.protocol === 'http:' && !isLoopbackHost(next.host)) {
      const message = `${method} ${redactUrl(url)} redirected to plain http on ${next.host}; refused`;
      throw new RegistryError(message, response.status, undefined, false);
    }
    url = next.toString();
  }
  throw new RegistryError(`${method} ${redactUrl(url)}: too many redirects`, undefined, undefined, false);
}
