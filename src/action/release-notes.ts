/** `release-notes`: find the run's GitHub release before publishing, write the ecr-publish section into it after. */
import { context, getOctokit } from '@actions/github';
import type { Inputs } from '../inputs.js';
import type { PublishReport } from '../publish/report.js';
import { DEFAULT_RETRY, retrying } from '../retry.js';
import type { Runtime } from '../runtime.js';
import { findSection, renderReleaseSection, withReleaseSection } from './release-section.js';

/** The release a run writes to: named by `release-tag`, or the release of a `release` event (by id: drafts too). */
export type ReleaseTarget = { owner: string; repo: string } & ({ tag: string } | { id: number; tag: string });

interface Release {
  id: number;
  tag: string;
  body: string;
}

/** The two GitHub calls, behind an interface so the flow does not depend on Octokit. */
export interface ReleaseApi {
  get(target: ReleaseTarget): Promise<Release>;
  update(target: ReleaseTarget & { id: number }, body: string): Promise<void>;
}

/** What the run writes after publishing; see run.ts. */
export interface ReleaseNotes {
  write(report: PublishReport): Promise<void>;
}

/**
 * The release of this run. `release-tag` wins over the event. A run that belongs to no release is an
 * error before anything is published: `release-notes: true` is never silently ignored.
 */
export function releaseTarget(
  releaseTag: string | undefined,
  event: { name: string | undefined; payload: Record<string, unknown> },
  repository: string | undefined,
): ReleaseTarget {
  const [owner, repo, ...rest] = (repository ?? '').split('/');
  if (owner === undefined || owner === '' || repo === undefined || repo === '' || rest.length > 0)
    throw new Error('release-notes: GITHUB_REPOSITORY is not set to owner/repo');
  if (releaseTag !== undefined) return { owner, repo, tag: releaseTag };
  const release = event.payload['release'] as { id?: unknown; tag_name?: unknown } | undefined;
  if (event.name === 'release' && typeof release?.id === 'number' && typeof release.tag_name === 'string')
    return { owner, repo, id: release.id, tag: release.tag_name };
  throw new Error(
    `release-notes: this run belongs to no GitHub release (event ${event.name ?? 'unknown'}); ` +
      'run it on a release event or name the release with release-tag',
  );
}

/** Off, or a dry run: nothing to do and nothing contacted. Otherwise the release is read (and checked) now. */
export async function prepareReleaseNotes(
  inputs: Inputs,
  runtime: Runtime,
  api: ReleaseApi | undefined = undefined,
): Promise<ReleaseNotes | undefined> {
  if (!inputs.releaseNotes || inputs.githubToken === undefined) return undefined;
  if (inputs.dryRun !== false) {
    runtime.logger.info('release-notes: a dry run leaves the GitHub release unchanged');
    return undefined;
  }
  const target = releaseTarget(
    inputs.releaseTag,
    { name: context.eventName, payload: context.payload },
    process.env.GITHUB_REPOSITORY,
  );
  const github = api ?? octokitReleaseApi(inputs.githubToken, runtime);
  // Fail before publishing when the release is missing, the token is refused or the body is damaged.
  const found = await github.get(target);
  inBody(found, () => findSection(found.body));
  return {
    async write(report) {
      if (report.gateFailed || report.gates.some((g) => g.error !== undefined)) {
        runtime.logger.info(`release-notes: the scan gate failed, so release ${found.tag} was left unchanged`);
        return;
      }
      // Re-read: the body may have been edited while the images were copied.
      const release = await github.get({ ...target, id: found.id });
      const body = inBody(release, () => withReleaseSection(release.body, renderReleaseSection(report)));
      if (body === release.body) {
        runtime.logger.info(`release-notes: release ${release.tag} already lists these images`);
        return;
      }
      await github.update({ ...target, id: release.id }, body);
      runtime.logger.info(`release-notes: wrote the ECR images into the body of release ${release.tag}`);
    },
  };
}

function inBody<T>(release: Release, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new Error(`release-notes: ${(error as Error).message} (release ${release.tag})`);
  }
}

/** Octokit honours GITHUB_API_URL. Throttling, 5xx and network failures are retried; the rest is explained. */
function octokitReleaseApi(token: string, runtime: Runtime): ReleaseApi {
  const octokit = getOctokit(token);
  const call = <T>(what: string, target: ReleaseTarget, request: () => Promise<T>): Promise<T> =>
    retrying(request, {
      policy: { ...DEFAULT_RETRY, maxAttempts: 4 },
      runtime,
      onFailure(error, _attempt, backoff) {
        const status = (error as { status?: unknown }).status;
        if (typeof status === 'number' && status < 500 && status !== 429) throw explain(error, what, target);
        return backoff();
      },
    }).catch((error: unknown) => {
      throw (error as Error).message.startsWith('release-notes:') ? error : explain(error, what, target);
    });
  return {
    async get(target) {
      const { data } = await call('read', target, () =>
        'id' in target
          ? octokit.rest.repos.getRelease({ owner: target.owner, repo: target.repo, release_id: target.id })
          : octokit.rest.repos.getReleaseByTag({ owner: target.owner, repo: target.repo, tag: target.tag }),
      );
      return { id: data.id, tag: data.tag_name, body: data.body ?? '' };
    },
    async update(target, body) {
      await call('update', target, () =>
        octokit.rest.repos.updateRelease({ owner: target.owner, repo: target.repo, release_id: target.id, body }),
      );
    },
  };
}

/** One line a user can act on; GitHub's own message is quoted, the token never is. */
function explain(error: unknown, what: string, target: ReleaseTarget): Error {
  const status = (error as { status?: unknown }).status;
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  const said = typeof data?.message === 'string' ? data.message.slice(0, 200) : (error as Error).message.slice(0, 200);
  const release = `release ${target.tag} of ${target.owner}/${target.repo}`;
  const hint =
    status === 404 && what === 'read'
      ? `no GitHub release found for tag ${target.tag} in ${target.owner}/${target.repo} (a draft is only found on its release event)`
      : status === 401
        ? `GitHub refused github-token while trying to ${what} ${release}`
        : status === 403 || (status === 404 && what === 'update')
          ? `github-token may not ${what} ${release}: give the job permissions: contents: write`
          : `could not ${what} ${release}`;
  return new Error(`release-notes: ${hint} (GitHub: ${typeof status === 'number' ? `${status} ` : ''}${said})`);
}
