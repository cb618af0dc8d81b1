import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InputError,
  InputErrors,
  parseInputs,
  parseScanIgnore,
  PUBLIC_WRITE_RATE_LIMIT,
  sourceSecrets,
  type Inputs,
} from '../../src/action/inputs.js';

let workspace: string;
const LIFECYCLE =
  '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}';
const REPO_POLICY = '{"Version":"2012-10-17","Statement":[]}';

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'inputs-test-'));
  mkdirSync(join(workspace, '.github'));
  writeFileSync(join(workspace, '.github', 'lifecycle.json'), LIFECYCLE);
  writeFileSync(join(workspace, 'broken.json'), '{"rules": [');
  writeFileSync(join(workspace, 'list.json'), '[1]');
  writeFileSync(join(workspace, 'secret.json'), 'TOPSECRET-line-one\n{"rules": [}');
  writeFileSync(join(workspace, 'multiline.json'), '{\n  "Version": "2012-10-17",\n  "Statement": [ TOPSECRET ]\n}');
});

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

const PUBLIC = {
  images: 'docker.io/paketobuildpacks/builder-jammy-base:0.3.13',
  'public-registry-alias': 'paketo-buildpacks',
};
const PRIVATE = {
  images: 'docker.io/paketobuildpacks/builder-jammy-base:0.3.13',
  'registry-type': 'private',
  'aws-region': 'eu-west-1',
};

function parse(values: Record<string, string>, env: Record<string, string | undefined> = {}): Inputs {
  return parseInputs((name) => values[name] ?? '', { GITHUB_WORKSPACE: workspace, ...env });
}

function errorOf(
  values: Record<string, string>,
  env: Record<string, string | undefined> = {},
): InputError | InputErrors {
  try {
    parse(values, env);
  } catch (error) {
    if (error instanceof InputError || error instanceof InputErrors) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('a staged release (registry-type public with a scan gate)', () => {
  it('takes the gate inputs, the staging prefix and a lifecycle policy for the staging repositories', () => {
    const inputs = parse({
      ...PUBLIC,
      'aws-region': 'eu-west-1',
      'scan-severity-threshold': 'HIGH',
      'scan-ignore': 'CVE-2024-1234 until 2999-01-01',
      'scan-timeout-seconds': '60',
      'staging-repository-prefix': 'stage/',
      'lifecycle-policy': LIFECYCLE,
    });
    expect(inputs).toMatchObject({
      registryType: 'public',
      awsRegion: 'eu-west-1',
      scanSeverityThreshold: 'HIGH',
      scanIgnore: [{ id: 'CVE-2024-1234', until: '2999-01-01' }],
      scanTimeoutSeconds: 60,
      stagingRepositoryPrefix: 'stage/',
      lifecyclePolicy: LIFECYCLE,
    });
  });

  it('takes the region from AWS_REGION, and keeps promote-tags private', () => {
    expect(parse({ ...PUBLIC, 'scan-severity-threshold': 'HIGH' }, { AWS_REGION: 'us-west-2' }).awsRegion).toBe(
      'us-west-2',
    );
    const error = errorOf({
      ...PUBLIC,
      'aws-region': 'eu-west-1',
      'scan-severity-threshold': 'HIGH',
      'promote-tags': 'prod',
    });
    expect(error.message).toBe('Input "promote-tags": only applies to registry-type private');
  });
});

describe('parseInputs defaults', () => {
  it('fills every default for a minimal public run', () => {
    const inputs = parse(PUBLIC, { GITHUB_RUN_ID: '4242' });
    expect(inputs.images.map((i) => [i.source, i.repository, i.text])).toEqual([
      [
        { registry: 'docker.io', repository: 'paketobuildpacks/builder-jammy-base', tag: '0.3.13' },
        'builder-jammy-base',
        PUBLIC.images,
      ],
    ]);
    const { images, tags, ...rest } = inputs;
    expect(images).toHaveLength(1);
    expect(tags.map((t) => t.text)).toEqual(['{{tag}}', 'latest']);
    expect(rest).toEqual({
      registryType: 'public',
      publicRegistryAlias: 'paketo-buildpacks',
      repositoryPrefix: '',
      audience: 'sts.amazonaws.com',
      roleSessionName: 'ecr-publish-4242',
      roleDurationSeconds: 3600,
      runImageMirror: 'auto',
      createRepositories: true,
      imageTagMutability: 'MUTABLE',
      scanOnPush: true,
      encryptionType: 'AES256',
      catalogData: 'auto',
      publicRetention: 0,
      scanSeverityThreshold: 'NONE',
      scanIgnore: [],
      scanTimeoutSeconds: 900,
      promoteTags: [],
      stagingRepositoryPrefix: 'ecr-publish-staging/',
      referrers: true,
      dockerLogin: false,
      concurrency: 8,
      dryRun: false,
      writeRateLimit: PUBLIC_WRITE_RATE_LIMIT,
      imageTagMutabilityExclusions: [],
      releaseNotes: false,
    });
  });

  it('uses ecr-publish as session name without a run id', () => {
    expect(parse(PUBLIC).roleSessionName).toBe('ecr-publish');
  });

  it('does not limit private writes by default', () => {
    expect(parse(PRIVATE).writeRateLimit).toBe(0);
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    const images = PRIVATE.images;
    expect(
      parse({ images, 'registry-type': 'private' }, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-central-1' })
        .awsRegion,
    ).toBe('us-west-2');
    expect(parse({ images, 'registry-type': 'private' }, { AWS_DEFAULT_REGION: 'eu-central-1' }).awsRegion).toBe(
      'eu-central-1',
    );
    expect(parse({ ...PRIVATE }, { AWS_REGION: 'us-west-2' }).awsRegion).toBe('eu-west-1');
  });
});

describe('parseInputs values', () => {
  it('reads every image line form', () => {
    const images = [
      '# release set',
      '',
      '  docker.io/paketobuildpacks/run-jammy-base:0.1.2   # the run image',
      'paketobuildpacks/builder-jammy-base:0.3.13 => builders/jammy',
      'gcr.io/p/img@sha256:' + 'a'.repeat(64) + '=>img',
    ].join('\n');
    const inputs = parse({ ...PUBLIC, images, 'repository-prefix': 'bp/' });
    expect(inputs.images.map((i) => [i.repository, i.rename])).toEqual([
      ['bp/run-jammy-base', undefined],
      ['bp/builders/jammy', 'builders/jammy'],
      ['bp/img', 'img'],
    ]);
    expect(inputs.images[0]?.text).toBe('docker.io/paketobuildpacks/run-jammy-base:0.1.2');
  });

  it('allows two versions of one source repository', () => {
    const inputs = parse({ ...PUBLIC, images: 'paketobuildpacks/run:1.0.0\npaketobuildpacks/run:1.0.1' });
    expect(inputs.images.map((i) => i.repository)).toEqual(['run', 'run']);
  });

  it('reads a full private configuration', () => {
    const inputs = parse({
      ...PRIVATE,
      'registry-id': '123456789012',
      'role-to-assume': 'arn:aws-us-gov:iam::123456789012:role/ci/release/ecr-publish',
      'role-session-name': 'release@paketo',
      'role-duration-seconds': '900',
      tags: '{{tag}}, {{major}}.{{minor}}\nstable',
      'run-image-mirror': 'FALSE',
      'create-repositories': 'False',
      'image-tag-mutability': 'immutable',
      'scan-on-push': 'false',
      'encryption-type': 'kms_dsse',
      'kms-key': 'alias/ecr',
      'lifecycle-policy': '.github/lifecycle.json',
      'repository-policy': REPO_POLICY,
      'scan-severity-threshold': 'high',
      'scan-ignore':
        'cve-2024-1234 until 2030-02-28\nGHSA-jfh8-c2jp-5v3q # no fix yet\nALAS2023-2024-123\narn:aws:inspector2:us-east-1:123456789012:finding/0a1b2c',
      'scan-timeout-seconds': '1800',
      'promote-tags': 'prod, stable\nlive',
      referrers: 'FALSE',
      'docker-login': 'TRUE',
      'source-username': 'bot',
      'source-password': 'hunter2',
      concurrency: '64',
      'dry-run': 'true',
      'write-rate-limit': '2.5',
    });
    expect(inputs).toMatchObject({
      registryId: '123456789012',
      roleToAssume: 'arn:aws-us-gov:iam::123456789012:role/ci/release/ecr-publish',
      roleSessionName: 'release@paketo',
      roleDurationSeconds: 900,
      runImageMirror: false,
      createRepositories: false,
      imageTagMutability: 'IMMUTABLE',
      scanOnPush: false,
      encryptionType: 'KMS_DSSE',
      kmsKey: 'alias/ecr',
      lifecyclePolicy: LIFECYCLE,
      repositoryPolicy: REPO_POLICY,
      scanSeverityThreshold: 'HIGH',
      scanIgnore: [
        { id: 'cve-2024-1234', until: '2030-02-28' },
        { id: 'GHSA-jfh8-c2jp-5v3q' },
        { id: 'ALAS2023-2024-123' },
        { id: 'arn:aws:inspector2:us-east-1:123456789012:finding/0a1b2c' },
      ],
      scanTimeoutSeconds: 1800,
      promoteTags: ['prod', 'stable', 'live'],
      referrers: false,
      dockerLogin: true,
      sourceUsername: 'bot',
      sourcePassword: 'hunter2',
      concurrency: 64,
      dryRun: 'plan',
      writeRateLimit: 2.5,
      imageTagMutabilityExclusions: [],
      releaseNotes: false,
    });
    expect(inputs.tags.map((t) => t.text)).toEqual(['{{tag}}', '{{major}}.{{minor}}', 'stable']);
    expect(inputs.publicRegistryAlias).toBeUndefined();
  });

  it('reads a policy file by absolute path and keeps its text', () => {
    expect(
      parse({ ...PRIVATE, 'lifecycle-policy': join(workspace, '.github', 'lifecycle.json') }).lifecyclePolicy,
    ).toBe(LIFECYCLE);
  });

  it.each([
    ['arn:aws:iam::123456789012:role/r'],
    ['arn:aws-cn:iam::123456789012:role/service-role/my.role+x=y,z@w-1'],
    ['arn:aws:iam::123456789012:role/a/b/c/' + 'n'.repeat(64)],
  ])('accepts role %s', (arn) => {
    expect(parse({ ...PUBLIC, 'role-to-assume': arn }).roleToAssume).toBe(arn);
  });

  it('keeps default-valued private-only inputs legal on public, as action.yml sends them', () => {
    const inputs = parse({
      ...PUBLIC,
      'image-tag-mutability': 'MUTABLE',
      'scan-on-push': 'true',
      'encryption-type': 'AES256',
      'scan-severity-threshold': 'NONE',
      'scan-timeout-seconds': '900',
      'catalog-data': 'auto',
    });
    expect(inputs.registryType).toBe('public');
  });

  it('keeps the source login for docker.io by default, and for one named registry', () => {
    const login = { 'source-username': 'bot', 'source-password': 'hunter2' };
    expect(parse({ ...PUBLIC, ...login }).sourceRegistry).toBe('docker.io');
    expect(parse({ ...PUBLIC, ...login, 'source-registry': 'index.docker.io' }).sourceRegistry).toBe('docker.io');
    expect(parse({ ...PUBLIC, ...login, 'source-registry': 'GHCR.io' }).sourceRegistry).toBe('ghcr.io');
    expect(parse({ ...PUBLIC, ...login, 'source-registry': '127.0.0.1:5000' }).sourceRegistry).toBe('127.0.0.1:5000');
    expect(parse({ ...PUBLIC, 'source-registry': 'docker.io' }).sourceRegistry).toBeUndefined();
  });

  it('masks the source password and its HTTP Basic form', () => {
    expect(sourceSecrets('bot', 'hunter2')).toEqual(['hunter2', Buffer.from('bot:hunter2').toString('base64')]);
    expect(sourceSecrets('', '')).toEqual([]);
  });

  it('applies repository-policy to ECR Public too', () => {
    expect(parse({ ...PUBLIC, 'repository-policy': REPO_POLICY }).repositoryPolicy).toBe(REPO_POLICY);
  });

  it('takes write-rate-limit from 0.01 and role settings with a role', () => {
    expect(parse({ ...PUBLIC, 'write-rate-limit': '0.01' }).writeRateLimit).toBe(0.01);
    const role = parse({
      ...PUBLIC,
      'role-to-assume': 'arn:aws:iam::123456789012:role/r',
      audience: 'sigstore',
      'role-duration-seconds': '7200',
    });
    expect([role.audience, role.roleDurationSeconds]).toEqual(['sigstore', 7200]);
  });

  it('takes write-rate-limit auto and 0', () => {
    expect(parse({ ...PUBLIC, 'write-rate-limit': 'AUTO' }).writeRateLimit).toBe(10);
    expect(parse({ ...PUBLIC, 'write-rate-limit': '0' }).writeRateLimit).toBe(0);
  });
});

describe('parseInputs errors', () => {
  it.each<[string, Record<string, string>, string, string]>([
    ['empty images', { ...PUBLIC, images: '  \n# only a comment\n' }, 'images', 'no image references given'],
    [
      'malformed image reference',
      { ...PUBLIC, images: 'ok/image:1\nBad/Image:1' },
      'images',
      'line 2 "Bad/Image:1": invalid image reference',
    ],
    ['bad tag in image', { ...PUBLIC, images: 'a/b:-x' }, 'images', 'is not a valid tag'],
    ['empty rename', { ...PUBLIC, images: 'a/b:1 =>' }, 'images', 'a name is missing after "=>"'],
    ['bad rename', { ...PUBLIC, images: 'a/b:1 => Not_Valid' }, 'images', 'is not a valid repository name'],
    ['one-letter destination', { ...PUBLIC, images: 'a/b:1' }, 'images', 'must be 2 to 256 characters long'],
    [
      'duplicate destinations',
      { ...PUBLIC, images: 'paketobuildpacks/run:1\nheroku/run:1' },
      'images',
      'both map to repository "run"',
    ],
    [
      'duplicate destinations by rename',
      { ...PUBLIC, images: 'a/one:1\nb/two:1 => one' },
      'images',
      'both map to repository "one"',
    ],
    [
      'unknown registry-type',
      { ...PUBLIC, 'registry-type': 'hybrid' },
      'registry-type',
      '"hybrid" is not public or private',
    ],
    [
      'missing alias on public',
      { images: PUBLIC.images },
      'public-registry-alias',
      'is required with registry-type public',
    ],
    [
      'bad alias',
      { ...PUBLIC, 'public-registry-alias': 'Paketo' },
      'public-registry-alias',
      'is not an ECR Public alias',
    ],
    [
      'alias on private',
      { ...PRIVATE, 'public-registry-alias': 'x1' },
      'public-registry-alias',
      'only applies to registry-type public',
    ],
    [
      'bad prefix',
      { ...PUBLIC, 'repository-prefix': '/abs' },
      'repository-prefix',
      'does not give valid repository names',
    ],
    [
      'missing region on private',
      { images: PUBLIC.images, 'registry-type': 'private' },
      'aws-region',
      'is required with registry-type private',
    ],
    ['bad region', { ...PRIVATE, 'aws-region': 'Europe' }, 'aws-region', '"Europe" (the value) is not an AWS region'],
    ['bad region from env', { images: PUBLIC.images, 'registry-type': 'private' }, 'aws-region', 'from AWS_REGION'],
    ['bad registry id', { ...PRIVATE, 'registry-id': '12345' }, 'registry-id', 'is not a 12-digit AWS account ID'],
    ['role name only', { ...PUBLIC, 'role-to-assume': 'ecr-publish' }, 'role-to-assume', 'is not an IAM role ARN'],
    [
      'user ARN',
      { ...PUBLIC, 'role-to-assume': 'arn:aws:iam::123456789012:user/bob' },
      'role-to-assume',
      'is not an IAM role ARN',
    ],
    [
      'unknown partition',
      { ...PUBLIC, 'role-to-assume': 'arn:azure:iam::123456789012:role/r' },
      'role-to-assume',
      'is not an IAM role ARN',
    ],
    [
      'short account',
      { ...PUBLIC, 'role-to-assume': 'arn:aws:iam::1234:role/r' },
      'role-to-assume',
      'is not an IAM role ARN',
    ],
    [
      'long role name',
      { ...PUBLIC, 'role-to-assume': 'arn:aws:iam::123456789012:role/' + 'n'.repeat(65) },
      'role-to-assume',
      'is not an IAM role ARN',
    ],
    [
      'bad session name',
      { ...PUBLIC, 'role-session-name': 'has space' },
      'role-session-name',
      'must be 2 to 64 characters',
    ],
    ['short session name', { ...PUBLIC, 'role-session-name': 'x' }, 'role-session-name', 'must be 2 to 64 characters'],
    [
      'non-numeric duration',
      { ...PUBLIC, 'role-duration-seconds': 'abc' },
      'role-duration-seconds',
      '"abc" is not a whole number of seconds between 900 and 43200',
    ],
    ['short duration', { ...PUBLIC, 'role-duration-seconds': '899' }, 'role-duration-seconds', 'between 900 and 43200'],
    [
      'long duration',
      { ...PUBLIC, 'role-duration-seconds': '43201' },
      'role-duration-seconds',
      'between 900 and 43200',
    ],
    [
      'fractional duration',
      { ...PUBLIC, 'role-duration-seconds': '1000.5' },
      'role-duration-seconds',
      'between 900 and 43200',
    ],
    ['unknown placeholder', { ...PUBLIC, tags: '{{tag}}\n{{version}}' }, 'tags', 'unknown placeholder "{{version}}"'],
    ['invalid literal tag', { ...PUBLIC, tags: 'not valid' }, 'tags', 'cannot give a valid tag'],
    ['bad boolean', { ...PUBLIC, referrers: 'yes' }, 'referrers', '"yes" is not a boolean; use true or false'],
    ['bad dry-run', { ...PUBLIC, 'dry-run': 'yes' }, 'dry-run', '"yes" is not allowed; use true, false or verify'],
    [
      'bad run-image-mirror',
      { ...PUBLIC, 'run-image-mirror': 'sometimes' },
      'run-image-mirror',
      'use auto, primary or false',
    ],
    [
      'bad mutability',
      { ...PRIVATE, 'image-tag-mutability': 'MOSTLY' },
      'image-tag-mutability',
      'is not one of MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION',
    ],
    [
      'immutable on public',
      { ...PUBLIC, 'image-tag-mutability': 'IMMUTABLE' },
      'image-tag-mutability',
      'only applies to registry-type private',
    ],
    [
      'scan-on-push off on public',
      { ...PUBLIC, 'scan-on-push': 'false' },
      'scan-on-push',
      'only applies to registry-type private',
    ],
    [
      'bad encryption',
      { ...PRIVATE, 'encryption-type': 'RSA' },
      'encryption-type',
      'is not one of AES256, KMS, KMS_DSSE',
    ],
    [
      'KMS on public',
      { ...PUBLIC, 'encryption-type': 'KMS' },
      'encryption-type',
      'only applies to registry-type private',
    ],
    ['kms-key without KMS', { ...PRIVATE, 'kms-key': 'alias/x' }, 'kms-key', 'needs encryption-type KMS or KMS_DSSE'],
    [
      'invalid policy JSON text',
      { ...PRIVATE, 'lifecycle-policy': '{"rules": [}' },
      'lifecycle-policy',
      'the JSON text is not valid JSON',
    ],
    [
      'invalid policy JSON file',
      { ...PRIVATE, 'lifecycle-policy': 'broken.json' },
      'lifecycle-policy',
      'file "broken.json" is not valid JSON',
    ],
    [
      'missing policy file',
      { ...PRIVATE, 'lifecycle-policy': 'nope/policy.json' },
      'lifecycle-policy',
      'file "nope/policy.json" does not exist',
    ],
    [
      'policy path is a directory',
      { ...PRIVATE, 'repository-policy': '.github' },
      'repository-policy',
      '".github" is not a file',
    ],
    [
      'policy not an object',
      { ...PRIVATE, 'repository-policy': 'list.json' },
      'repository-policy',
      'is not a JSON object',
    ],
    [
      'lifecycle without rules',
      { ...PRIVATE, 'lifecycle-policy': '{"rules": []}' },
      'lifecycle-policy',
      'has no "rules" list',
    ],
    [
      'repository policy without Statement',
      { ...PRIVATE, 'repository-policy': '{"Version":"2012-10-17"}' },
      'repository-policy',
      'has no "Statement"',
    ],
    [
      'lifecycle on public',
      { ...PUBLIC, 'lifecycle-policy': LIFECYCLE },
      'lifecycle-policy',
      'only applies to registry-type private',
    ],
    [
      'catalog-data on private',
      { ...PRIVATE, 'catalog-data': 'false' },
      'catalog-data',
      'only applies to registry-type public',
    ],
    [
      'negative retention',
      { ...PUBLIC, 'public-retention': '-1' },
      'public-retention',
      'is not a whole number of versions',
    ],
    [
      'retention on private',
      { ...PRIVATE, 'public-retention': '5' },
      'public-retention',
      'only applies to registry-type public',
    ],
    [
      'unknown severity',
      { ...PRIVATE, 'scan-severity-threshold': 'SEVERE' },
      'scan-severity-threshold',
      '"SEVERE" is not one of NONE, CRITICAL, HIGH',
    ],
    [
      'staged release without a region',
      { ...PUBLIC, 'scan-severity-threshold': 'HIGH' },
      'aws-region',
      'is required for a staged release (registry-type public with scan-severity-threshold)',
    ],
    [
      'staging prefix on private',
      { ...PRIVATE, 'scan-severity-threshold': 'HIGH', 'staging-repository-prefix': 'stage/' },
      'staging-repository-prefix',
      'only applies to registry-type public',
    ],
    [
      'staging prefix without a gate',
      { ...PUBLIC, 'staging-repository-prefix': 'stage/' },
      'staging-repository-prefix',
      'has no effect with scan-severity-threshold NONE (no staged release)',
    ],
    [
      'bad staging prefix',
      {
        ...PUBLIC,
        'scan-severity-threshold': 'HIGH',
        'aws-region': 'eu-west-1',
        'staging-repository-prefix': 'Stage/',
      },
      'staging-repository-prefix',
      'does not give valid repository names',
    ],
    [
      'bad ignore id',
      { ...PRIVATE, 'scan-ignore': 'CVE-2024-1\n2024-1234' },
      'scan-ignore',
      'line 2: "2024-1234" is neither a vulnerability ID like CVE-2024-1234 nor an Inspector finding ARN',
    ],
    [
      'non-finding ARN in ignore',
      { ...PRIVATE, 'scan-ignore': 'arn:aws:iam::123456789012:role/x' },
      'scan-ignore',
      'is neither a vulnerability ID',
    ],
    [
      'impossible ignore date',
      { ...PRIVATE, 'scan-ignore': 'CVE-2024-1234 until 2025-02-30' },
      'scan-ignore',
      'line 1: "2025-02-30" is not a date (YYYY-MM-DD)',
    ],
    [
      'malformed ignore date',
      { ...PRIVATE, 'scan-ignore': 'CVE-2024-1234 until tomorrow' },
      'scan-ignore',
      '"tomorrow" is not a date',
    ],
    [
      'ignore with junk',
      { ...PRIVATE, 'scan-ignore': 'CVE-2024-1234 since 2025-01-01' },
      'scan-ignore',
      'is not "ID" or "ID until YYYY-MM-DD"',
    ],
    [
      'ignore on public without a gate',
      { ...PUBLIC, 'scan-ignore': 'CVE-2024-1234' },
      'scan-ignore',
      'has no effect with scan-severity-threshold NONE',
    ],
    ['zero scan timeout', { ...PRIVATE, 'scan-timeout-seconds': '0' }, 'scan-timeout-seconds', 'between 1 and 21600'],
    [
      'bad promote tag',
      { ...PRIVATE, 'promote-tags': 'prod\n.hidden' },
      'promote-tags',
      '".hidden" is not a valid tag',
    ],
    [
      'promote on public',
      { ...PUBLIC, 'promote-tags': 'prod' },
      'promote-tags',
      'only applies to registry-type private',
    ],
    ['username alone', { ...PUBLIC, 'source-username': 'bot' }, 'source-password', 'must be given together'],
    ['password alone', { ...PUBLIC, 'source-password': 'hunter2' }, 'source-username', 'must be given together'],
    ['zero concurrency', { ...PUBLIC, concurrency: '0' }, 'concurrency', 'between 1 and 64'],
    ['too much concurrency', { ...PUBLIC, concurrency: '65' }, 'concurrency', 'between 1 and 64'],
    ['bad write-rate-limit', { ...PUBLIC, 'write-rate-limit': 'fast' }, 'write-rate-limit', 'is not auto or a number'],
    // Issue 11: edges that used to pass.
    [
      'md5 digest',
      { ...PUBLIC, images: `a/bc@md5:${'a'.repeat(32)}` },
      'images',
      '"md5" is not a supported digest algorithm (sha256 or sha512)',
    ],
    [
      'short sha512 digest',
      { ...PUBLIC, images: `a/bc@sha512:${'a'.repeat(64)}` },
      'images',
      'is not a sha512 digest of 128 hex characters',
    ],
    ['port 99999', { ...PUBLIC, images: 'registry.example:99999/a/bc:1' }, 'images', 'has port 99999, not 1 to 65535'],
    ['port 0', { ...PUBLIC, images: 'localhost:0/a/bc:1' }, 'images', 'has port 0, not 1 to 65535'],
    ['tiny write-rate-limit', { ...PUBLIC, 'write-rate-limit': '0.0000001' }, 'write-rate-limit', 'from 0.01 to 10000'],
    [
      'registry-id on public',
      { ...PUBLIC, 'registry-id': '123456789012' },
      'registry-id',
      'only applies to registry-type private',
    ],
    ['audience without role', { ...PUBLIC, audience: 'sigstore' }, 'audience', 'only applies with role-to-assume'],
    [
      'session name without role',
      { ...PUBLIC, 'role-session-name': 'release' },
      'role-session-name',
      'only applies with role-to-assume',
    ],
    [
      'duration without role',
      { ...PUBLIC, 'role-duration-seconds': '7200' },
      'role-duration-seconds',
      'only applies with role-to-assume',
    ],
    [
      'scan-ignore without a gate',
      { ...PRIVATE, 'scan-ignore': 'CVE-2024-1234' },
      'scan-ignore',
      'has no effect with scan-severity-threshold NONE',
    ],
    [
      'scan-ignore with promotion only',
      { ...PRIVATE, 'promote-tags': 'prod', 'scan-ignore': 'CVE-2024-1234' },
      'scan-ignore',
      'has no effect',
    ],
    [
      'scan timeout without a gate',
      { ...PRIVATE, 'scan-timeout-seconds': '60' },
      'scan-timeout-seconds',
      'has no effect with scan-severity-threshold NONE',
    ],
    [
      'source-registry without a login',
      { ...PUBLIC, 'source-registry': 'ghcr.io' },
      'source-registry',
      'only applies with source-username and source-password',
    ],
    [
      'bad source-registry',
      { ...PUBLIC, 'source-registry': 'https://ghcr.io/x', 'source-username': 'u', 'source-password': 'p' },
      'source-registry',
      'is not a valid registry host',
    ],
    [
      'source-registry with port 0',
      { ...PUBLIC, 'source-registry': 'localhost:0', 'source-username': 'u', 'source-password': 'p' },
      'source-registry',
      'not 1 to 65535',
    ],
  ])('%s', (_case, values, input, why) => {
    const env = _case === 'bad region from env' ? { AWS_REGION: 'nowhere' } : {};
    const error = errorOf(values, env);
    expect(error.message.startsWith(`Input "${input}": `)).toBe(true);
    expect(error.message).toContain(why);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('keeps a message on one line even when the value spans lines', () => {
    const error = errorOf({ ...PUBLIC, 'role-duration-seconds': '12\n34' });
    expect(error.message).toBe(
      'Input "role-duration-seconds": "12\\n34" is not a whole number of seconds between 900 and 43200',
    );
  });

  it('names the file and where its JSON breaks, never its content', () => {
    const error = errorOf({ ...PRIVATE, 'lifecycle-policy': 'secret.json' });
    expect(error.message).toBe(
      'Input "lifecycle-policy": file "secret.json" is not valid JSON (error at line 1, column 1)',
    );
    const multiline = errorOf({ ...PRIVATE, 'repository-policy': 'multiline.json' });
    expect(multiline.message).toBe(
      'Input "repository-policy": file "multiline.json" is not valid JSON (error at line 3, column 18)',
    );
  });

  it('gives the JSON error position of inline policy text without quoting it', () => {
    const error = errorOf({ ...PRIVATE, 'lifecycle-policy': '{"rules": [TOPSECRET]}' });
    expect(error.message).toBe(
      'Input "lifecycle-policy": the JSON text is not valid JSON (error at line 1, column 12)',
    );
  });

  it('never shows the source password', () => {
    const error = errorOf({ ...PUBLIC, 'source-password': 's3cr3t-value' });
    expect(error.message).not.toContain('s3cr3t-value');
  });

  it('reports every wrong input at once, in the order of action.yml, after reading them all', () => {
    const read = new Set<string>();
    const values: Record<string, string> = {
      images: PUBLIC.images,
      'public-registry-alias': 'paketo-buildpacks',
      'registry-id': 'abc',
      tags: '{{version}}',
      concurrency: '0',
      'dry-run': 'yes',
      'source-password': 's3cr3t-value',
    };
    let thrown: unknown;
    try {
      parseInputs((name) => {
        read.add(name);
        return values[name] ?? '';
      }, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputErrors);
    const errors = (thrown as InputErrors).errors;
    expect(errors.map((e) => e.input)).toEqual(['registry-id', 'tags', 'source-username', 'concurrency', 'dry-run']);
    expect((thrown as Error).message.split('\n')).toEqual(errors.map((e) => e.message));
    expect((thrown as Error).message).not.toContain('s3cr3t');
    expect(read).toContain('release-tag');
  });

  it('keeps a single wrong input an InputError', () => {
    expect(errorOf({ ...PUBLIC, concurrency: '0' })).not.toBeInstanceOf(InputErrors);
  });

  it('skips the checks that depend on a wrong input instead of guessing its value', () => {
    const error = errorOf({
      ...PRIVATE,
      'registry-type': 'privat',
      'image-tag-mutability': 'IMMUTABLE',
      'scan-severity-threshold': 'HGH',
      'scan-ignore': 'CVE-2024-1234',
      'encryption-type': 'KSM',
      'kms-key': 'alias/key',
    });
    expect(error).toBeInstanceOf(InputErrors);
    expect((error as InputErrors).errors.map((e) => e.input)).toEqual([
      'registry-type',
      'encryption-type',
      'scan-severity-threshold',
    ]);
  });
});

// Moved from scan-policy.test.ts when its second scan-ignore parser was deleted; the error wording is this parser's.
describe('parseScanIgnore', () => {
  it('reads IDs, ARNs, until dates, comments and blank lines', () => {
    const text = [
      '# accepted risks',
      'CVE-2024-1234',
      '',
      'GHSA-abcd-efgh-ijkl until 2025-12-31',
      'arn:aws:inspector2:us-east-1:123456789012:finding/0123abc  # base image',
    ].join('\n');
    expect(parseScanIgnore(text)).toEqual([
      { id: 'CVE-2024-1234' },
      { id: 'GHSA-abcd-efgh-ijkl', until: '2025-12-31' },
      { id: 'arn:aws:inspector2:us-east-1:123456789012:finding/0123abc' },
    ]);
  });

  it('rejects an impossible date with one line naming it', () => {
    expect(() => parseScanIgnore('CVE-2024-1 until 2025-02-30')).toThrow(
      /^Input "scan-ignore": line 1: "2025-02-30" .* \(YYYY-MM-DD\)$/,
    );
  });

  it('rejects a bad keyword and a non-ID', () => {
    expect(() => parseScanIgnore('CVE-2024-1 before 2025-01-01')).toThrow('is not "ID" or "ID until YYYY-MM-DD"');
    expect(() => parseScanIgnore('openssl')).toThrow(
      'Input "scan-ignore": line 1: "openssl" is neither a vulnerability ID',
    );
  });
});
