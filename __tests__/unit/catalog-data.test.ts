import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  ECRPUBLICClient,
  ECRPUBLICServiceException,
  GetRepositoryCatalogDataCommand,
  PutRepositoryCatalogDataCommand,
} from '@aws-sdk/client-ecr-public';
import { mockClient } from 'aws-sdk-client-mock';
import { CATALOG_LIMITS, truncateText } from '../../src/aws/catalog-text.js';
import {
  buildCatalogData,
  galleryArchitecture,
  syncCatalogData,
  type CatalogData,
  type CatalogSource,
} from '../../src/aws/catalog-data.js';

const URI = 'public.ecr.aws/paketo-buildpacks/builder-jammy-base';
const LINUX_AMD64 = { os: 'linux', architecture: 'amd64' };
const LINUX_ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };

function builderSource(overrides: Partial<CatalogSource> = {}): CatalogSource {
  return {
    labels: {
      'io.buildpacks.builder.metadata': JSON.stringify({
        description: 'Ubuntu 22.04 Jammy Jellyfish base image with buildpacks for Java, Go, .NET, Node.js',
        buildpacks: [
          { id: 'paketo-buildpacks/java', version: '18.1.0', homepage: 'https://github.com/paketo-buildpacks/java' },
          { id: 'paketo-buildpacks/go', version: '4.14.0' },
        ],
      }),
      'org.opencontainers.image.source': 'https://github.com/paketo-buildpacks/builder-jammy-base',
    },
    kind: 'builder',
    platforms: [LINUX_AMD64, LINUX_ARM64],
    repositoryUri: URI,
    tag: '0.3.13',
    source: 'docker.io/paketobuildpacks/builder-jammy-base:0.3.13',
    ...overrides,
  };
}

describe('buildCatalogData', () => {
  it('describes a builder from its metadata, with pull and pack usage', () => {
    const data = buildCatalogData(builderSource());
    expect(data.description).toBe(
      'Ubuntu 22.04 Jammy Jellyfish base image with buildpacks for Java, Go, .NET, Node.js',
    );
    expect(data.architectures).toEqual(['x86-64', 'ARM 64']);
    expect(data.operatingSystems).toEqual(['Linux']);
    expect(data.usageText).toContain(`docker pull ${URI}:0.3.13`);
    expect(data.usageText).toContain(`pack build my-app --builder ${URI}:0.3.13`);
    expect(data.aboutText).toContain('# paketo-buildpacks/builder-jammy-base');
    expect(data.aboutText).toContain(
      '| Source | [https://github.com/paketo-buildpacks/builder-jammy-base](https://github.com/paketo-buildpacks/builder-jammy-base) |',
    );
    expect(data.aboutText).toContain(
      '- `paketo-buildpacks/java` 18.1.0 — [https://github.com/paketo-buildpacks/java](https://github.com/paketo-buildpacks/java)',
    );
    expect(data.aboutText).toContain('- `paketo-buildpacks/go` 4.14.0');
    expect(data.aboutText).toContain('`linux/amd64`, `linux/arm64/v8`');
    expect(data.aboutText).toContain('| Copied from | `docker.io/paketobuildpacks/builder-jammy-base:0.3.13` |');
  });

  it('prefers the OCI description and title labels', () => {
    const source = builderSource();
    const data = buildCatalogData({
      ...source,
      labels: {
        ...source.labels,
        'org.opencontainers.image.description': 'From the label',
        'org.opencontainers.image.title': 'Jammy Base',
      },
    });
    expect(data.description).toBe('From the label');
    expect(data.aboutText.startsWith('# Jammy Base\n\nFrom the label\n')).toBe(true);
  });

  it('describes a buildpack from its buildpackage metadata', () => {
    const data = buildCatalogData({
      labels: {
        'io.buildpacks.buildpackage.metadata': JSON.stringify({
          id: 'paketo-buildpacks/node-engine',
          version: '1.2.3',
          homepage: 'https://example.com/node',
        }),
      },
      kind: 'buildpack',
      platforms: [LINUX_AMD64],
      repositoryUri: 'public.ecr.aws/alias/node-engine',
      tag: '1.2.3',
    });
    expect(data.description).toBe('Cloud Native Buildpack paketo-buildpacks/node-engine');
    expect(data.aboutText).toContain('| Buildpack ID | `paketo-buildpacks/node-engine` |');
    expect(data.aboutText).toContain('| Homepage | [https://example.com/node](https://example.com/node) |');
    expect(data.usageText).toContain('--buildpack docker://public.ecr.aws/alias/node-engine:1.2.3');
    expect(data.usageText).not.toContain('--builder public.ecr.aws');
  });

  it('falls back to a description from the kind and stack for a stack image', () => {
    const data = buildCatalogData({
      labels: { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy' },
      kind: 'stack-image',
      platforms: [{ os: 'windows', architecture: 'amd64' }, LINUX_AMD64],
      repositoryUri: 'public.ecr.aws/alias/run-jammy-base',
      tag: 'latest',
    });
    expect(data.description).toBe('Cloud Native Buildpacks stack image (stack io.buildpacks.stacks.jammy)');
    expect(data.operatingSystems).toEqual(['Linux', 'Windows']);
    expect(data.usageText).not.toContain('pack build');
  });

  it('maps platforms to Gallery values, dropping unknown ones and attestation entries', () => {
    expect(galleryArchitecture({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('ARM');
    expect(galleryArchitecture({ os: 'linux', architecture: '386' })).toBe('x86');
    expect(galleryArchitecture({ os: 'linux', architecture: 's390x' })).toBeUndefined();
    const data = buildCatalogData(
      builderSource({
        platforms: [
          { os: 'linux', architecture: 'arm', variant: 'v7' },
          LINUX_ARM64,
          { os: 'unknown', architecture: 'unknown' },
          { os: 'linux', architecture: 'ppc64le' },
          { os: 'linux', architecture: '386' },
          LINUX_AMD64,
          LINUX_AMD64,
        ],
      }),
    );
    expect(data.architectures).toEqual(['x86-64', 'ARM 64', 'ARM', 'x86']);
    expect(data.operatingSystems).toEqual(['Linux']);
  });

  it('respects the Gallery limits with huge labels', () => {
    const many = Array.from({ length: 2000 }, (_, index) => ({
      id: `org/buildpack-${index}-${'x'.repeat(20)}`,
      version: '1.0.0',
    }));
    const data = buildCatalogData(
      builderSource({
        labels: {
          'org.opencontainers.image.description': 'word '.repeat(1000),
          'io.buildpacks.builder.metadata': JSON.stringify({ buildpacks: many }),
        },
      }),
    );
    expect(data.description.length).toBeLessThanOrEqual(CATALOG_LIMITS.description);
    expect(data.description.endsWith('…')).toBe(true);
    expect(data.aboutText.length).toBeLessThanOrEqual(CATALOG_LIMITS.aboutText);
    expect(data.aboutText).toContain('- `org/buildpack-0-');
    expect(data.usageText.length).toBeLessThanOrEqual(CATALOG_LIMITS.usageText);
  });

  it('escapes label text so it cannot inject HTML or break the table', () => {
    const data = buildCatalogData({
      labels: {
        'org.opencontainers.image.title': 'a|b <script>',
        'org.opencontainers.image.source': 'javascript:alert(1)',
      },
      kind: 'other',
      platforms: [],
      repositoryUri: URI,
      tag: 't',
    });
    expect(data.aboutText).toContain('# a\\|b &lt;script&gt;');
    expect(data.aboutText).toContain('| Source | javascript:alert(1) |');
    expect(data.aboutText).not.toContain('<script>');
    expect(data.description).toBe('Container image');
  });

  it('ignores malformed metadata labels', () => {
    const data = buildCatalogData(builderSource({ labels: { 'io.buildpacks.builder.metadata': '{not json' } }));
    expect(data.description).toBe('Cloud Native Buildpacks builder');
    expect(data.aboutText).not.toContain('## Buildpacks');
  });
});

describe('truncateText', () => {
  it('leaves short text alone', () => {
    expect(truncateText('short', 10)).toBe('short');
  });

  it('never splits a surrogate pair', () => {
    const text = 'ab😀😀😀';
    for (let max = 1; max < text.length; max += 1) {
      const cut = truncateText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    }
  });

  it('closes an open code fence when markdown is cut inside it', () => {
    const text = ['# t', '', '```sh', ...Array.from({ length: 50 }, (_, index) => `echo line ${index}`), '```'].join(
      '\n',
    );
    const cut = truncateText(text, 200, true);
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut.match(/^```/gm)).toHaveLength(2);
    expect(cut.endsWith('…\n')).toBe(true);
  });
});

describe('syncCatalogData', () => {
  const ecrPublic = mockClient(ECRPUBLICClient);
  const client = new ECRPUBLICClient({ region: 'us-east-1' });
  const desired: CatalogData = buildCatalogData(builderSource());

  beforeEach(() => {
    ecrPublic.reset();
  });

  it('writes nothing when the catalog data is the same (architecture order aside)', async () => {
    ecrPublic.on(GetRepositoryCatalogDataCommand).resolves({
      catalogData: {
        ...desired,
        architectures: [...desired.architectures].reverse(),
        logoUrl: 'https://logo',
        marketplaceCertified: false,
      },
    });
    await expect(syncCatalogData(client, 'builder-jammy-base', desired)).resolves.toBe(false);
    expect(ecrPublic.commandCalls(PutRepositoryCatalogDataCommand)).toHaveLength(0);
  });

  it('writes the desired catalog data when anything differs', async () => {
    ecrPublic.on(GetRepositoryCatalogDataCommand).resolves({ catalogData: { ...desired, usageText: 'old usage' } });
    ecrPublic.on(PutRepositoryCatalogDataCommand).resolves({});
    await expect(syncCatalogData(client, 'builder-jammy-base', desired, { registryId: '123456789012' })).resolves.toBe(
      true,
    );
    expect(ecrPublic.commandCalls(PutRepositoryCatalogDataCommand)[0]?.args[0].input).toEqual({
      repositoryName: 'builder-jammy-base',
      registryId: '123456789012',
      catalogData: desired,
    });
  });

  it('writes when the repository has no catalog data yet', async () => {
    ecrPublic.on(GetRepositoryCatalogDataCommand).resolves({});
    ecrPublic.on(PutRepositoryCatalogDataCommand).resolves({});
    await expect(syncCatalogData(client, 'r', desired)).resolves.toBe(true);
  });

  it('reports API failures in one line', async () => {
    ecrPublic.on(GetRepositoryCatalogDataCommand).rejects(
      new ECRPUBLICServiceException({
        name: 'AccessDeniedException',
        message: 'denied',
        $fault: 'client',
        $metadata: {},
      }),
    );
    await expect(syncCatalogData(client, 'r', desired)).rejects.toThrow(
      'Could not read the catalog data of ECR Public repository "r": AccessDeniedException: denied',
    );
  });
});
