/** The scan gate's resolution: nested indexes expanded to platforms, attestations skipped, anything else fails closed. */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { BatchGetImageCommand, ECRClient, type BatchGetImageCommandInput } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { ScanGateError } from '../../src/aws/scan/common.js';
import { MAX_INDEX_DEPTH, classifyEntry, expandIndex } from '../../src/aws/scan/expand.js';
import { resolveImage, type ImageToResolve } from '../../src/aws/scan/resolve.js';
import { sha256Digest } from '../../src/oci/digest.js';
import { DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../src/oci/media-types.js';

const d = (c: string): string => 'sha256:' + c.repeat(64);
const AMD64 = d('1');
const ARM64 = d('2');
const ATTESTATION = d('3');
const linux = (architecture: string) => ({ os: 'linux', architecture });
const image = (digest: string, platform?: object, extra: object = {}) => ({
  mediaType: OCI_MANIFEST,
  digest,
  size: 500,
  ...(platform ? { platform } : {}),
  ...extra,
});

interface Stored {
  text: string;
  digest: string;
  mediaType: string;
}

function index(manifests: object[], mediaType = OCI_INDEX): Stored {
  const text = JSON.stringify({ schemaVersion: 2, mediaType, manifests });
  return { text, digest: sha256Digest(Buffer.from(text, 'utf8')), mediaType };
}
const ref = (stored: Stored, extra: object = {}) => ({
  mediaType: stored.mediaType,
  digest: stored.digest,
  size: stored.text.length,
  ...extra,
});

const ecr = new ECRClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
const ecrMock = mockClient(ecr);

/** The repository: `top` under tag `sha-abc`, every manifest by its digest. */
function repository(top: Stored, others: Stored[] = []): void {
  const byDigest = new Map([top, ...others].map((m) => [m.digest, m]));
  ecrMock.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => {
    const id = input.imageIds?.[0] ?? {};
    const found = id.imageTag === 'sha-abc' ? top : byDigest.get(id.imageDigest ?? '');
    if (found === undefined)
      return {
        images: [],
        failures: [{ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }],
      };
    return {
      images: [
        { imageId: { imageDigest: found.digest }, imageManifest: found.text, imageManifestMediaType: found.mediaType },
      ],
    };
  });
}

const options = (): ImageToResolve => ({ ecr, repositoryName: 'app', image: { tag: 'sha-abc' } });

async function failure(): Promise<ScanGateError> {
  const error = await resolveImage(options()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ScanGateError);
  return error as ScanGateError;
}

beforeEach(() => {
  ecrMock.reset();
});

describe('resolveImage: nested indexes', () => {
  it('expands an index nested in the index to its platform manifests (issue 11)', async () => {
    const inner = index([image(ARM64, linux('arm64'))], DOCKER_MANIFEST_LIST);
    const top = index([image(AMD64, linux('amd64')), ref(inner)]);
    repository(top, [inner]);

    const resolved = await resolveImage(options());

    expect(resolved.digest).toBe(top.digest);
    expect(resolved.targets).toEqual([
      { digest: AMD64, platform: 'linux/amd64' },
      { digest: ARM64, platform: 'linux/arm64' },
    ]);
  });

  it('de-duplicates platforms and indexes by digest, and skips attestations by platform or by annotation', async () => {
    const attestationByAnnotation = image(ATTESTATION, undefined, {
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
    });
    const inner = index([image(ARM64, linux('arm64')), image(AMD64, linux('amd64')), attestationByAnnotation]);
    const top = index([
      image(AMD64, linux('amd64')),
      ref(inner),
      ref(inner),
      image(d('4'), { os: 'unknown', architecture: 'unknown' }),
    ]);
    repository(top, [inner]);

    const resolved = await resolveImage(options());

    expect(resolved.targets.map((t) => t.digest)).toEqual([AMD64, ARM64]);
    expect(ecrMock.commandCalls(BatchGetImageCommand)).toHaveLength(2);
  });

  it('walks indexes nested up to the depth limit', async () => {
    let nested = index([image(ARM64, linux('arm64'))]);
    const chain = [nested];
    for (let level = 2; level < MAX_INDEX_DEPTH; level++) chain.push((nested = index([ref(nested)])));
    const top = index([ref(nested)]);
    repository(top, chain);

    expect((await resolveImage(options())).targets).toEqual([{ digest: ARM64, platform: 'linux/arm64' }]);
  });
});

describe('resolveImage fails closed on entries it cannot place (issue 11)', () => {
  it('an entry of unknown media type, and an image without a platform, fail the gate naming each entry', async () => {
    const top = index([
      image(AMD64, linux('amd64')),
      { mediaType: 'application/vnd.example.thing+json', digest: ARM64, size: 3 },
      image(d('5')),
    ]);
    repository(top);

    const error = await failure();

    expect(error.reason).toBe('unscannable-entry');
    expect(error.message).toContain(`the index app@${top.digest} has entries the gate cannot scan`);
    expect(error.message).toContain(
      `entry 1 (${ARM64}) of index ${top.digest} has media type "application/vnd.example.thing+json"`,
    );
    expect(error.message).toContain(
      `entry 2 (${d('5')}) of index ${top.digest} is an image manifest without a platform`,
    );
  });

  it('indexes nested deeper than the limit fail rather than being skipped', async () => {
    let nested = index([image(ARM64, linux('arm64'))]);
    const chain = [nested];
    for (let level = 2; level <= MAX_INDEX_DEPTH; level++) chain.push((nested = index([ref(nested)])));
    const top = index([image(AMD64, linux('amd64')), ref(nested)]);
    repository(top, chain);

    const error = await failure();

    expect(error.reason).toBe('unscannable-entry');
    expect(error.message).toMatch(new RegExp(`nests indexes deeper than ${MAX_INDEX_DEPTH} levels`));
  });

  it('a nested index missing from the repository, or held as something else, fails', async () => {
    const missing = index([image(ARM64, linux('arm64'))]);
    const lying = { ...index([]), mediaType: OCI_MANIFEST };
    const top = index([image(AMD64, linux('amd64')), ref(missing), ref(lying, { mediaType: OCI_INDEX })]);
    repository(top, [lying]);

    const { message } = await failure();

    expect(message).toContain(
      `(${missing.digest}) of index ${top.digest} is not in the repository (ImageNotFound: Requested image not found)`,
    );
    expect(message).toContain(
      `(${lying.digest}) of index ${top.digest} is listed as an index but ECR holds it as "${OCI_MANIFEST}"`,
    );
  });
});

describe('classifyEntry and expandIndex', () => {
  it('classifies each kind of entry', () => {
    expect(classifyEntry(image(AMD64, { os: 'linux', architecture: 'arm', variant: 'v7' }))).toEqual({
      kind: 'platform',
      target: { digest: AMD64, platform: 'linux/arm/v7' },
    });
    expect(classifyEntry(image(AMD64, { os: 'unknown', architecture: 'unknown' }))).toEqual({ kind: 'attestation' });
    expect(classifyEntry({ mediaType: OCI_INDEX, digest: AMD64, size: 1 })).toEqual({ kind: 'index', digest: AMD64 });
    expect(classifyEntry({ mediaType: OCI_MANIFEST, digest: 'sha256:abc', size: 1 })).toEqual({
      kind: 'unscannable',
      reason: 'has no valid digest',
    });
    expect(classifyEntry('not an entry')).toMatchObject({ kind: 'unscannable' });
    expect(classifyEntry({ digest: AMD64, size: 1 })).toEqual({
      kind: 'unscannable',
      reason: 'has media type "(none)", neither an image nor an index',
    });
  });

  it('reports a top index without a manifests list, and one with too many entries', async () => {
    const fetchIndex = () => Promise.reject(new Error('not called'));
    expect((await expandIndex({ digest: AMD64, manifests: 'x' }, fetchIndex)).problems).toEqual([
      `index ${AMD64} has no manifests list`,
    ]);
    const many = Array.from({ length: 1001 }, () => image(ARM64, linux('arm64')));
    expect((await expandIndex({ digest: AMD64, manifests: many }, fetchIndex)).problems).toEqual([
      `index ${AMD64} has 1001 entries, more than 1000`,
    ]);
  });
});
