// The floor: a bare GET→PUT stream of the same blobs to the same repositories, at the same
// concurrency, with no checks (no HEADs, no digest verification, no spool, no retries), then the
// manifests. Prints one `RESULT {json}` line. Usage: node bench/floor-child.mjs <job.json>
// job: { source: {url}, destination: {url, authorization}, concurrency,
//        blobs: [{repository, destRepository, digest, size}],
//        manifests: [{repository, destRepository, digest, reference}] (children first) }
import { readFileSync } from 'node:fs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const tokens = new Map();
let realm;
/** Anonymous Bearer token for one source repository, as a Docker Hub client gets it. */
async function sourceAuthorization(repository) {
  if (realm === undefined) {
    const ping = await fetch(`${job.source.url}/v2/`);
    await ping.arrayBuffer();
    const header = ping.headers.get('www-authenticate') ?? '';
    const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    realm = params.realm ? { url: params.realm, service: params.service } : null;
  }
  if (realm === null) return {};
  if (!tokens.has(repository)) {
    tokens.set(
      repository,
      (async () => {
        const url = new URL(realm.url);
        if (realm.service) url.searchParams.set('service', realm.service);
        url.searchParams.set('scope', `repository:${repository}:pull`);
        const body = await (await fetch(url)).json();
        return { authorization: `Bearer ${body.token ?? body.access_token}` };
      })(),
    );
  }
  return tokens.get(repository);
}

/** GET that follows redirects by hand, dropping credentials on the way (the CDN refuses them). */
async function sourceGet(path, repository, headers = {}) {
  let response = await fetch(`${job.source.url}${path}`, {
    headers: { ...(await sourceAuthorization(repository)), ...headers },
    redirect: 'manual',
  });
  while (response.status >= 300 && response.status < 400) {
    const next = new URL(response.headers.get('location'), response.url || job.source.url);
    await response.arrayBuffer();
    response = await fetch(next, { headers, redirect: 'manual' });
  }
  if (!response.ok) throw new Error(`floor: GET ${path} answered ${response.status}`);
  return response;
}

const destHeaders = job.destination.authorization ? { authorization: job.destination.authorization } : {};

async function copyBlob(blob) {
  const start = await fetch(`${job.destination.url}/v2/${blob.destRepository}/blobs/uploads/`, {
    method: 'POST',
    headers: destHeaders,
  });
  await start.arrayBuffer();
  const location = new URL(start.headers.get('location'), job.destination.url);
  location.searchParams.set('digest', blob.digest);
  const source = await sourceGet(`/v2/${blob.repository}/blobs/${blob.digest}`, blob.repository);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...destHeaders, 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body: source.body,
    duplex: 'half',
  });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`floor: PUT ${blob.destRepository}@${blob.digest} answered ${put.status}`);
}

async function copyManifest(manifest) {
  const response = await sourceGet(`/v2/${manifest.repository}/manifests/${manifest.digest}`, manifest.repository, {
    accept: MANIFEST_ACCEPT,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const put = await fetch(`${job.destination.url}/v2/${manifest.destRepository}/manifests/${manifest.reference}`, {
    method: 'PUT',
    headers: { ...destHeaders, 'content-type': response.headers.get('content-type') },
    body: bytes,
  });
  await put.arrayBuffer();
  if (put.status !== 201)
    throw new Error(`floor: PUT manifest ${manifest.destRepository}:${manifest.reference} answered ${put.status}`);
}

async function pool(items, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

let ok = true;
try {
  await pool(
    [...job.blobs].sort((a, b) => b.size - a.size),
    job.concurrency,
    copyBlob,
  );
  for (const manifest of job.manifests) await copyManifest(manifest);
} catch (error) {
  ok = false;
  process.stderr.write(`error: ${error.message}\n`);
}
process.stdout.write(`RESULT ${JSON.stringify({ ok, maxRssBytes: peakRssBytes() })}\n`);
process.exit(ok ? 0 : 1);

/**
 * This process's peak RSS. Not process.resourceUsage().maxRSS: Linux carries the parent's
 * high-water mark across fork+exec into ru_maxrss, so a child of a big parent reports the parent.
 */
function peakRssBytes() {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}
