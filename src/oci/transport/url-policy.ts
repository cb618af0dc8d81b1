/** Which URLs the client may follow (https off loopback, no pivot to local addresses), and where Authorization goes. */
import { RegistryError } from './errors.js';

/** `[::1]` → `::1`; URL hostnames keep IPv6 brackets. */
function bare(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1).toLowerCase() : hostname.toLowerCase();
}

/** 127.0.0.0/8, ::1 and `localhost` (also as an IPv4-mapped IPv6 address, which URL writes in hex). */
export function isLoopback(hostname: string): boolean {
  const host = bare(hostname);
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  return /^127(?:\.\d{1,3}){3}$/.test(host) || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

/** 169.254.0.0/16 (cloud metadata lives there) and fe80::/10. */
export function isLinkLocal(hostname: string): boolean {
  const host = bare(hostname);
  return /^169\.254(?:\.\d{1,3}){2}$/.test(host) || /^fe[89ab][0-9a-f]:/.test(host) || /^::ffff:a9fe:/.test(host);
}

/**
 * Refuses a URL the client was pointed at (redirect, `Link`, upload `Location`, token realm):
 * plain http off loopback, other schemes, and a non-loopback origin pointing at a loopback or
 * link-local address (a hostile registry steering us at the runner's own services).
 * `what` reads as the start of the refusal, e.g. "GET https://r/v2/x redirected".
 */
export function checkFollowedUrl(from: string | URL, to: string | URL, what: string): URL {
  const source = new URL(from);
  const target = new URL(to, source);
  const refuse = (why: string): never => {
    throw new RegistryError(`${what} to ${why}; refused`, undefined, undefined, false);
  };
  if (target.protocol !== 'https:' && target.protocol !== 'http:') refuse(`a ${target.protocol} URL`);
  if (target.protocol === 'http:' && !isLoopback(target.hostname)) refuse(`plain http on ${target.host}`);
  if (!isLoopback(source.hostname) && (isLoopback(target.hostname) || isLinkLocal(target.hostname))) {
    refuse(`the loopback or link-local address ${target.host}`);
  }
  return target;
}

/** The one rule for credentials: our Authorization goes to the registry's own origin (scheme, host, port) only. */
export function mayCarryAuthorization(url: string | URL, registryOrigin: string): boolean {
  return new URL(url).origin === new URL(registryOrigin).origin;
}
