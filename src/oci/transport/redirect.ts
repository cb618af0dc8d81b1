/** Redirects followed by hand: every URL checked by the URL policy, Authorization only to the registry's origin. */
import { redactUrl, RegistryError } from './errors.js';
import { checkFollowedUrl, mayCarryAuthorization } from './url-policy.js';

const MAX_HOPS = 5;

export interface Hop {
  url: string;
  /** 0 for the request as asked; later hops are GETs (or HEADs) without a body. */
  index: number;
  /** The caller's authorization, on the registry's own origin only. */
  authorization: string | undefined;
}

/** The last hop's answer and where it came from (a 401 from another origin is never answered). */
export interface Followed {
  response: Response;
  url: string;
}

/** Writes are not redirected: a 3xx to a PUT, POST or PATCH is the answer. */
function followable(method: string, response: Response): boolean {
  if (method === 'PUT' || method === 'POST' || method === 'PATCH') return false;
  return response.status >= 300 && response.status < 400 && response.headers.get('location') !== null;
}

/**
 * Sends hops until an answer is not a redirect to follow. `url` itself may come from the
 * registry (a `Link`, an upload `Location`), so it passes the URL policy like every redirect.
 */
export async function followRedirects(
  method: string,
  url: string,
  registryOrigin: string,
  authorization: string | undefined,
  send: (hop: Hop) => Promise<Response>,
): Promise<Followed> {
  checkFollowedUrl(registryOrigin, url, `${new URL(registryOrigin).host} pointed ${method}`);
  for (let index = 0; index <= MAX_HOPS; index++) {
    const allowed = mayCarryAuthorization(url, registryOrigin);
    const response = await send({ url, index, authorization: allowed ? authorization : undefined });
    if (!followable(method, response)) return { response, url };
    await response.body?.cancel().catch(() => undefined);
    url = checkFollowedUrl(url, response.headers.get('location')!, `${method} ${redactUrl(url)} redirected`).toString();
  }
  throw new RegistryError(`${method} ${redactUrl(url)}: too many redirects`, undefined, undefined, false);
}
