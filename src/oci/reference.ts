/** Image references, parsed the way the Docker CLI and go-containerregistry's pkg/name read them. */
import { digestProblem } from './digest.js';

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

export interface Reference {
  /** Registry host with optional port, normalized (`docker.io` for Docker Hub). */
  readonly registry: string;
  /** Repository path, e.g. `paketobuildpacks/builder-jammy-base`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export class InvalidReferenceError extends Error {
  override name = 'InvalidReferenceError';
}

const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$/;

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function isValidRepository(repository: string): boolean {
  return (
    repository.length > 0 && repository.length <= 255 && repository.split('/').every((c) => PATH_COMPONENT.test(c))
  );
}

/**
 * Parses `[registry/]repository[:tag][@digest]`. A first component is a registry when it has a
 * dot or a colon or is `localhost`; otherwise the reference is on Docker Hub, where single names
 * live under `library/`.
 */
export function parseReference(input: string): Reference {
  const text = input.trim();
  const fail = (why: string): never => {
    throw new InvalidReferenceError(`invalid image reference "${input}": ${why}`);
  };
  if (text === '') fail('it is empty');
  if (/\s/.test(text)) fail('it contains white space');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`"${digest}" is not a digest`);
    const problem = digestProblem(digest);
    if (problem !== undefined) fail(problem);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`"${tag}" is not a valid tag`);
  }

  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))
  ) {
    registry = first;
    parts.shift();
    const hostProblem = registryHostProblem(registry);
    if (hostProblem !== undefined) fail(hostProblem);
  }
  registry = credentialHost(registry) === DOCKER_HUB ? DOCKER_HUB : registry;

  let repository = parts.join('/');
  if (repository === '') fail('the repository name is missing');
  if (registry === DOCKER_HUB && parts.length === 1) repository = `library/${repository}`;
  if (!isValidRepository(repository)) {
    fail(`"${repository}" is not a valid repository name (lowercase letters, digits and separators)`);
  }

  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Why `host[:port]` cannot name a registry (a port must be 1 to 65535), or undefined. */
export function registryHostProblem(host: string): string | undefined {
  if (!HOST.test(host)) return `"${host}" is not a valid registry host`;
  const port = /:(\d+)$/.exec(host.startsWith('[') ? host.slice(host.indexOf(']')) : host)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    return `"${host}" has port ${port}, not 1 to 65535`;
  return undefined;
}

/**
 * The one rule for which host a credential belongs to: Docker Hub's names are one registry
 * (`docker.io`), every other host only itself (case-insensitively, port included).
 */
export function credentialHost(registry: string): string {
  const lower = registry.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** Whether a login for `credentialRegistry` may be sent to `registry`. */
export function credentialsBelongTo(credentialRegistry: string, registry: string): boolean {
  return credentialHost(credentialRegistry) === credentialHost(registry);
}

/** Tag-less references mean `latest`, as everywhere else (Docker's rule). */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

/** What a registry is asked for: the digest, else the tag (`latest` when there is neither). */
export function manifestReference(ref: Reference): string {
  const completed = withDefaultTag(ref);
  return completed.digest ?? completed.tag!;
}

export function formatReference(ref: Reference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The host that serves the registry API (Docker Hub's API lives elsewhere than its name). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/**
 * A name for comparing image references the way the CNB lifecycle does: Docker Hub spelled
 * `index.docker.io`, an implied `latest` dropped.
 */
export function comparableName(input: string): string {
  const ref = parseReference(input);
  const registry = ref.registry === DOCKER_HUB ? 'index.docker.io' : ref.registry.toLowerCase();
  let s = `${registry}/${ref.repository}`;
  if (ref.tag !== undefined && !(ref.tag === 'latest' && ref.digest === undefined)) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Plain http is only for registries on this machine's loopback. */
export function isLoopbackHost(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(1, registry.indexOf(']')) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
