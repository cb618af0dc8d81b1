/** A local GitHub REST API for releases (get by tag, get by id, update), strict like api.github.com. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const DOCS = 'https://docs.github.com/rest/releases/releases';
const BODY_LIMIT = 125_000;

export interface FakeRelease {
  id: number;
  tag_name: string;
  name: string;
  body: string | null;
  draft: boolean;
}

export interface GitHubRequest {
  method: string;
  path: string;
  /** The scheme of the Authorization header (`token`, `Bearer`), never the token. */
  scheme: string | undefined;
  /** The parsed JSON body of a PATCH. */
  body?: unknown;
}

export interface FakeGitHubApi {
  /** For GITHUB_API_URL. */
  url: string;
  /** `owner/repo`, for GITHUB_REPOSITORY. */
  repository: string;
  token: string;
  releases: Map<number, FakeRelease>;
  requests: GitHubRequest[];
  /** Adds a release and returns it. */
  addRelease(tag: string, body: string | null, draft?: boolean): FakeRelease;
  close(): Promise<void>;
}

export interface FakeGitHubApiOptions {
  token?: string;
  repository?: string;
  /** A token with `contents: read` only: updates are 403, as for a job without `contents: write`. */
  readOnly?: boolean;
}

export async function startGitHubApi(options: FakeGitHubApiOptions = {}): Promise<FakeGitHubApi> {
  const token = options.token ?? 'ghs_fakeGitHubToken0123456789abcdef';
  const repository = options.repository ?? 'paketo-buildpacks/builder-jammy-base';
  const releases = new Map<number, FakeRelease>();
  const requests: GitHubRequest[] = [];
  let nextId = 1000;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });

  function handle(req: IncomingMessage, text: string, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const auth = /^(Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '');
    const request: GitHubRequest = { method, path, scheme: auth?.[1] };
    requests.push(request);
    if (req.headers['user-agent'] === undefined)
      return send(res, 403, {
        message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
      });
    if (auth === null)
      return send(res, 401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
    if (auth[2] !== token)
      return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const base = `/repos/${repository}/releases/`;
    if (!path.startsWith(base)) return notFound(res);
    const rest = path.slice(base.length);
    if (method === 'GET' && rest.startsWith('tags/')) {
      // GitHub finds only published releases by tag.
      const found = [...releases.values()].find((r) => r.tag_name === rest.slice('tags/'.length) && !r.draft);
      return found === undefined ? notFound(res) : send(res, 200, view(found));
    }
    const release = /^[0-9]+$/.test(rest) ? releases.get(Number(rest)) : undefined;
    if (release === undefined) return notFound(res);
    if (method === 'GET') return send(res, 200, view(release));
    if (method !== 'PATCH') return notFound(res);
    if (options.readOnly)
      return send(res, 403, {
        message: 'Resource not accessible by integration',
        documentation_url: `${DOCS}#update-a-release`,
      });
    let update: unknown;
    try {
      update = JSON.parse(text);
    } catch {
      return send(res, 400, { message: 'Problems parsing JSON', documentation_url: `${DOCS}#update-a-release` });
    }
    request.body = update;
    const body = (update as { body?: unknown }).body;
    if (body !== undefined && body !== null && typeof body !== 'string')
      return invalid(res, 'invalid', `For 'properties/body', ${JSON.stringify(body)} is not a string.`);
    if (typeof body === 'string' && [...body].length > BODY_LIMIT)
      return invalid(res, 'custom', `body is too long (maximum is ${BODY_LIMIT} characters)`);
    if (body !== undefined) release.body = body;
    return send(res, 200, view(release));
  }

  const view = (r: FakeRelease) => ({
    url: `${api.url}/repos/${repository}/releases/${r.id}`,
    html_url: `https://github.com/${repository}/releases/tag/${r.tag_name}`,
    id: r.id,
    tag_name: r.tag_name,
    name: r.name,
    body: r.body,
    draft: r.draft,
    prerelease: false,
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api: FakeGitHubApi = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    repository,
    token,
    releases,
    requests,
    addRelease(tag, body, draft = false) {
      const release = { id: nextId++, tag_name: tag, name: tag, body, draft };
      releases.set(release.id, release);
      return release;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(status >= 400 ? { ...body, status: String(status) } : body));
}

const notFound = (res: ServerResponse) =>
  send(res, 404, { message: 'Not Found', documentation_url: `${DOCS}#get-a-release-by-tag-name` });

function invalid(res: ServerResponse, code: string, message: string): void {
  send(res, 422, {
    message: 'Validation Failed',
    errors: [{ resource: 'Release', code, field: 'body', message }],
    documentation_url: `${DOCS}#update-a-release`,
  });
}
