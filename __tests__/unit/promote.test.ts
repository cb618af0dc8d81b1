import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { promoteImage, PromotionError } from '../../src/aws/promote.js';
import { sha256Digest } from '../../src/oci/digest.js';
import { MANIFEST_MEDIA_TYPES, OCI_INDEX } from '../../src/oci/media-types.js';
import { silentLogger } from '../../src/runtime.js';
import { virtualRuntime } from '../support/runtime.js';

// Deliberately odd spacing and key order: any re-serialization would change the bytes and the digest.
const MANIFEST =
  '{\n   "schemaVersion" : 2,"mediaType":"application/vnd.oci.image.index.v1+json",\n "manifests":[ ] }\n';
const DIGEST = sha256Digest(Buffer.from(MANIFEST, 'utf8'));
const OTHER_DIGEST = 'sha256:' + 'e'.repeat(64);

const runtime = virtualRuntime(silentLogger, 0);
const ecr = new ECRClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
const ecrMock = mockClient(ecr);

function storedImage(): void {
  ecrMock.on(BatchGetImageCommand).resolves({
    images: [
      {
        repositoryName: 'app',
        imageId: { imageDigest: DIGEST },
        imageManifest: MANIFEST,
        imageManifestMediaType: OCI_INDEX,
      },
    ],
    failures: [],
  });
}

beforeEach(() => {
  ecrMock.reset();
});

describe('promoteImage', () => {
  it('puts the byte-exact manifest, its media type and digest for each tag', async () => {
    storedImage();
    ecrMock.on(PutImageCommand).resolves({});

    const result = await promoteImage({
      ecr,
      registryId: '123456789012',
      repositoryName: 'app',
      digest: DIGEST,
      tags: ['prod', 'stable'],
      runtime,
    });

    const get = ecrMock.commandCalls(BatchGetImageCommand)[0]?.args[0].input;
    expect(get?.imageIds).toEqual([{ imageDigest: DIGEST }]);
    expect([...(get?.acceptedMediaTypes ?? [])].sort()).toEqual([...MANIFEST_MEDIA_TYPES].sort());

    const puts = ecrMock.commandCalls(PutImageCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(2);
    for (const put of puts) {
      expect(put.imageManifest).toBe(MANIFEST);
      expect(sha256Digest(Buffer.from(put.imageManifest ?? '', 'utf8'))).toBe(DIGEST);
      expect(put.imageManifestMediaType).toBe(OCI_INDEX);
      expect(put.imageDigest).toBe(DIGEST);
      expect(put.registryId).toBe('123456789012');
    }
    expect(puts.map((put) => put.imageTag)).toEqual(['prod', 'stable']);
    expect(result).toEqual({
      repositoryName: 'app',
      digest: DIGEST,
      mediaType: OCI_INDEX,
      tags: [
        { tag: 'prod', outcome: 'tagged' },
        { tag: 'stable', outcome: 'tagged' },
      ],
    });
  });

  it('treats ImageAlreadyExistsException for the same digest as success', async () => {
    storedImage();
    ecrMock.on(PutImageCommand).rejects(new ImageAlreadyExistsException({ message: 'already exists', $metadata: {} }));

    const result = await promoteImage({ ecr, repositoryName: 'app', digest: DIGEST, tags: ['prod'], runtime });

    expect(result.tags).toEqual([{ tag: 'prod', outcome: 'unchanged' }]);
    expect(ecrMock.commandCalls(PutImageCommand)[0]?.args[0].input.registryId).toBeUndefined();
  });

  it('names tag, repository and both digests when an immutable tag points elsewhere', async () => {
    storedImage();
    ecrMock.on(PutImageCommand).rejects(new ImageTagAlreadyExistsException({ message: 'tag exists', $metadata: {} }));
    ecrMock.on(DescribeImagesCommand, { repositoryName: 'app', imageIds: [{ imageTag: 'prod' }] }).resolves({
      imageDetails: [{ imageDigest: OTHER_DIGEST, imageTags: ['prod'] }],
    });

    const promise = promoteImage({ ecr, repositoryName: 'app', digest: DIGEST, tags: ['prod'], runtime });

    await expect(promise).rejects.toThrow(PromotionError);
    await expect(promise).rejects.toThrow(
      `cannot promote app@${DIGEST} to tag "prod": repository app has immutable tags and "prod" already points to ${OTHER_DIGEST}`,
    );
  });

  it('accepts an immutable tag that already holds this very digest', async () => {
    storedImage();
    ecrMock.on(PutImageCommand).rejects(new ImageTagAlreadyExistsException({ message: 'tag exists', $metadata: {} }));
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });

    const result = await promoteImage({ ecr, repositoryName: 'app', digest: DIGEST, tags: ['prod'], runtime });
    expect(result.tags).toEqual([{ tag: 'prod', outcome: 'unchanged' }]);
  });

  it('fails with one line when the digest is not in the repository, and writes nothing', async () => {
    ecrMock.on(BatchGetImageCommand).resolves({
      images: [],
      failures: [
        { imageId: { imageDigest: DIGEST }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
      ],
    });
    await expect(promoteImage({ ecr, repositoryName: 'app', digest: DIGEST, tags: ['prod'], runtime })).rejects.toThrow(
      `cannot promote app@${DIGEST}: the image is not in the repository (ImageNotFound: Requested image not found)`,
    );
    expect(ecrMock.commandCalls(PutImageCommand)).toHaveLength(0);
  });

  it('rejects an invalid tag before calling ECR', async () => {
    await expect(
      promoteImage({ ecr, repositoryName: 'app', digest: DIGEST, tags: ['-bad tag'], runtime }),
    ).rejects.toThrow('promote-tags: "-bad tag" is not a valid tag');
    expect(ecrMock.calls()).toHaveLength(0);
  });

  it('wraps other PutImage errors in one line', async () => {
    storedImage();
    ecrMock.on(PutImageCommand).rejects(new ImageNotFoundException({ message: 'gone', $metadata: {} }));
    await expect(promoteImage({ ecr, repositoryName: 'app', digest: DIGEST, tags: ['prod'], runtime })).rejects.toThrow(
      'PutImage of app:prod failed: ImageNotFoundException: gone',
    );
  });
});
