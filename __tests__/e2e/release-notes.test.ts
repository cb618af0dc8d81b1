// Issue 14 part 3: the bundle writes its ECR references into the GitHub release body, through a local GitHub API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGitHubApi, type FakeGitHubApi, type FakeRelease } from '../../testbed/github-api.js';
import { seedPaketoRelease, type PaketoRelease } from '../../testbed/release.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

const START = '<!-- ecr-publish:start -->';
const END = '<!-- ecr-publish:end -->';
const AUTHOR_TEXT =
  '## Changes\r\n\r\n* Bumps node-engine | see <a href="#x">notes</a>\r\n\r\nThanks @contributor!\r\n';

interface ImageOutput {
  repository: string;
  digest: string;
  tags: string[];
}

describe('end to end: release-notes writes the ECR references into the GitHub release', () => {
  let world: World;
  let github: FakeGitHubApi;
  let release: PaketoRelease;
  let dir: string;
  let published: FakeRelease;
  let first: ActionRun;

  const inputs = (extra: Record<string, string> = {}) => ({
    images: [release.references.runImage, release.references.builder].join('\n'),
    'registry-type': 'public',
    'public-registry-alias': 'paketo-buildpacks',
    'role-to-assume': world.aws.roleArn,
    'aws-region': 'eu-west-1',
    'release-notes': 'true',
    ...extra,
  });
  /** The runner's environment for an event; GITHUB_TOKEN stands for what `${{ github.token }}` resolves to. */
  const eventEnv = (name: string, payload: object, token = github.token): Record<string, string> => {
    const path = join(dir, `${name}-${Date.now()}.json`);
    writeFileSync(path, JSON.stringify(payload));
    return {
      GITHUB_EVENT_NAME: name,
      GITHUB_EVENT_PATH: path,
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: github.repository,
      GITHUB_TOKEN: token,
    };
  };
  const releaseEvent = (r: FakeRelease) =>
    eventEnv('release', { action: 'published', release: { id: r.id, tag_name: r.tag_name, body: 'stale body' } });
  const shown = (run: ActionRun) =>
    run.printed
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
  const errorLines = (run: ActionRun) => run.printed.split('\n').filter((l) => l.startsWith('::error::'));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'release-notes-'));
    world = await startWorld();
    github = await startGitHubApi();
    release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
    published = github.addRelease('v0.3.13', AUTHOR_TEXT);
    first = await world.runAction(inputs(), releaseEvent(published));
  }, 180_000);

  afterAll(async () => {
    await github?.close();
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on a release event, appends a section listing every published image to the body', () => {
    expect(errorLines(first)).toEqual([]);
    expect(first.code).toBe(0);
    const body = github.releases.get(published.id)!.body!;
    // The body as it is now, not the event's stale copy, is kept byte for byte.
    expect(body.startsWith(`${AUTHOR_TEXT}\n${START}\n`)).toBe(true);
    expect(body.endsWith(END)).toBe(true);
    const images = JSON.parse(first.outputs.images!) as ImageOutput[];
    expect(images).toHaveLength(2);
    for (const image of images)
      expect(body).toContain(`| ${image.repository} | ${image.tags.join(', ')} | ${image.digest} |`);
    const builder = images.find((i) => i.repository.endsWith('/builder-jammy-base'))!;
    expect(body).toContain(`pack build my-app --builder ${builder.repository}:0.3.13`);
    expect(body).toContain(`--mirror ${world.publicRegistry.host}/paketo-buildpacks/run-jammy-base:latest`);
  });

  it('reads the release by the event id before publishing and again before its one update, with the token', () => {
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${github.repository}/releases/${published.id}`,
      `GET /repos/${github.repository}/releases/${published.id}`,
      `PATCH /repos/${github.repository}/releases/${published.id}`,
    ]);
    expect(github.requests.every((r) => r.scheme === 'token')).toBe(true);
  });

  it('masks the token and never prints it', () => {
    expect(first.printed).toContain(`::add-mask::${github.token}`);
    expect(shown(first)).not.toContain(github.token);
  });

  it('on a re-run with release-tag, replaces the section and leaves the rest of the body exactly', async () => {
    // The author edited the release meanwhile, around the section.
    const edited = `Intro ✓\n\n${github.releases.get(published.id)!.body!}\r\n\r\n_Footer_ \t\n`;
    github.releases.get(published.id)!.body = edited.replace('Published by', 'Published earlier by');
    github.requests.length = 0;
    const again = await world.runAction(inputs({ 'release-tag': 'v0.3.13' }), eventEnv('push', {}));
    expect(errorLines(again)).toEqual([]);
    expect(again.code).toBe(0);
    expect(github.releases.get(published.id)!.body).toBe(edited);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${github.repository}/releases/tags/v0.3.13`,
      `GET /repos/${github.repository}/releases/${published.id}`,
      `PATCH /repos/${github.repository}/releases/${published.id}`,
    ]);
    expect(shown(again)).not.toContain(github.token);
  });

  it('leaves an up-to-date body alone', async () => {
    const before = github.releases.get(published.id)!.body;
    github.requests.length = 0;
    const again = await world.runAction(inputs(), releaseEvent(published));
    expect(again.code).toBe(0);
    expect(github.releases.get(published.id)!.body).toBe(before);
    expect(github.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(again.printed).toContain('already lists these images');
  });

  /** Runs that must fail before AWS or a registry is contacted, with one error line. */
  const failsBeforePublishing = async (extra: Record<string, string>, env: Record<string, string>) => {
    const calls = world.aws.calls.length;
    const run = await world.runAction(inputs(extra), env);
    expect(run.code).not.toBe(0);
    expect(world.aws.calls.length).toBe(calls);
    expect(shown(run)).not.toContain(github.token);
    expect(errorLines(run)).toHaveLength(1);
    return errorLines(run)[0]!;
  };

  it('fails before publishing when the release-tag names no release', async () => {
    expect(await failsBeforePublishing({ 'release-tag': 'v9.9.9' }, eventEnv('push', {}))).toBe(
      `::error::release-notes: no GitHub release found for tag v9.9.9 in ${github.repository} ` +
        '(a draft is only found on its release event) (GitHub: 404 Not Found)',
    );
  });

  it('fails before publishing when the run belongs to no release', async () => {
    expect(await failsBeforePublishing({}, eventEnv('push', {}))).toBe(
      '::error::release-notes: this run belongs to no GitHub release (event push); run it on a release event or name the release with release-tag',
    );
  });

  it('fails before publishing when GitHub refuses the token', async () => {
    const line = await failsBeforePublishing({}, { ...releaseEvent(published), GITHUB_TOKEN: 'ghs_wrongToken0123' });
    expect(line).toBe(
      `::error::release-notes: GitHub refused github-token while trying to read release v0.3.13 of ${github.repository} (GitHub: 401 Bad credentials)`,
    );
  });

  it('fails before publishing when the section in the body is damaged, and leaves the body alone', async () => {
    const damaged = github.addRelease('v0.4.0', `notes\n${START}\nhalf a section`);
    const line = await failsBeforePublishing({ 'release-tag': 'v0.4.0' }, eventEnv('push', {}));
    expect(line).toContain('release-notes: the release body has 1 <!-- ecr-publish:start --> and 0');
    expect(line).toContain('(release v0.4.0)');
    expect(github.releases.get(damaged.id)!.body).toBe(`notes\n${START}\nhalf a section`);
  });

  it('contacts no GitHub API in a dry run', async () => {
    github.requests.length = 0;
    const run = await world.runAction(inputs({ 'dry-run': 'true' }), releaseEvent(published));
    expect(run.code).toBe(0);
    expect(github.requests).toEqual([]);
  });
});

describe('end to end: release-notes with a read-only token', () => {
  let world: World;
  let github: FakeGitHubApi;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'release-notes-ro-'));
    world = await startWorld();
    github = await startGitHubApi({ readOnly: true });
  }, 60_000);

  afterAll(async () => {
    await github?.close();
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the missing contents: write permission', async () => {
    const release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
    const target = github.addRelease('v1.0.0', 'body');
    const event = join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ release: { id: target.id, tag_name: 'v1.0.0' } }));
    const run = await world.runAction(
      {
        images: release.references.runImage,
        'registry-type': 'public',
        'public-registry-alias': 'paketo-buildpacks',
        'role-to-assume': world.aws.roleArn,
        'aws-region': 'eu-west-1',
        'release-notes': 'true',
      },
      {
        GITHUB_EVENT_NAME: 'release',
        GITHUB_EVENT_PATH: event,
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: github.repository,
        GITHUB_TOKEN: github.token,
      },
    );
    expect(run.code).toBe(1);
    expect(run.printed).toContain(
      `::error::release-notes: github-token may not update release v1.0.0 of ${github.repository}: ` +
        'give the job permissions: contents: write (GitHub: 403 Resource not accessible by integration)',
    );
    expect(github.releases.get(target.id)!.body).toBe('body');
  });
});
