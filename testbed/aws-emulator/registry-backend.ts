/** The real loopback registry (CNCF distribution) that holds the emulated repositories' images. */
import { createHash } from 'node:crypto';

export interface RegistryBackendConfig {
  /** `127.0.0.1:PORT`, plain HTTP. */
  host: string;
  username: string;
  password: string;
}

export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export class RegistryRequestError extends Error {
  constructor(
    readonly status: number,
    /** Distribution's error code, e.g. MANIFEST_BLOB_UNKNOWN. */
    readonly registryCode: string,
    message: string,
  ) {
    super(message);
  }
}

export class RegistryBackend {
  constructor(readonly config: RegistryBackendConfig) {}

  private async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const authorization = `Basic ${Buffer.from(`${this.config.username}:${this.config.password}`).toString('base64')}`;
    const requestInit: RequestInit = { method, headers: { authorization, ...init.headers } };
    if (init.body !== undefined) requestInit.body = init.body;
    return fetch(`http://${this.config.host}${path}`, requestInit);
  }

  private async fail(response: Response, what: string): Promise<never> {
    const text = await response.text();
    let code = 'UNKNOWN';
    try {
      code = (JSON.parse(text) as { errors?: { code?: string }[] }).errors?.[0]?.code ?? code;
    } catch {
      // not a distribution error body
    }
    throw new RegistryRequestError(
      response.status,
      code,
      `${what}: registry answered ${response.status} ${text.trim()}`,
    );
  }

  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list`;
    while (path !== undefined) {
      const response = await this.request('GET', path);
      if (response.status === 404) {
        await response.body?.cancel();
        return tags;
      }
      if (!response.ok) await this.fail(response, `list tags of ${repository}`);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
      path = next;
    }
    return tags;
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) await this.fail(response, `get manifest ${repository}:${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    return {
      bytes,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      mediaType: (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '',
    };
  }

  /** Stores bytes as given under a tag or digest reference. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<void> {
    const response = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    if (!response.ok) await this.fail(response, `put manifest ${repository}:${reference}`);
    await response.body?.cancel();
  }

  /** Distribution deletes by digest only, and that removes every tag on the digest. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`);
    if (response.status === 404) {
      await response.body?.cancel();
      return false;
    }
    if (!response.ok) await this.fail(response, `delete manifest ${repository}@${digest}`);
    await response.body?.cancel();
    return true;
  }
}
