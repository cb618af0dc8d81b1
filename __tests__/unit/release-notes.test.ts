// Issue 14 part 3: the ecr-publish section of a GitHub release body, which release a run writes to, and when.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { prepareReleaseNotes, releaseTarget, type ReleaseApi } from '../../src/action/release-notes.js';
import {
  RELEASE_BODY_LIMIT,
  SECTION_END,
  SECTION_START,
  renderReleaseSection,
  withReleaseSection,
} from '../../src/action/release-section.js';
import { packUsageLines } from '../../src/action/pack-usage.js';
import { inputsFor } from '../fixtures/inputs.js';
import { digestOf, privateGatedRelease, PUBLIC_REGISTRY, publicRelease } from '../fixtures/reports.js';
import { capturingLogger, testRuntime } from '../support/runtime.js';

const AUTHOR_TEXT = '## What changed\r\n\r\n* node-engine 1.2.3 | `npm` <b>bold</b>\r\n\r\nThanks @someone!  \n';

describe('renderReleaseSection', () => {
  const section = renderReleaseSection(publicRelease());

  it('lists every published image with its ECR reference, tags and full digest, between the markers', () => {
    expect(section.startsWith(`${SECTION_START}\n`)).toBe(true);
    expect(section.endsWith(`\n${SECTION_END}`)).toBe(true);
    expect(section).toContain('| ECR reference | Tags | Digest | Source |');
    expect(section).toContain(
      `| ${PUBLIC_REGISTRY}/run-jammy-base | 0.1.2, latest | sha256:${'a'.repeat(64)} | docker.io/paketobuildpacks/run-jammy-base:0.1.2 |`,
    );
    expect(section).toContain(
      `| ${PUBLIC_REGISTRY}/builder-jammy-base | 0.3.13 (held back: latest) | ${digestOf('c')} |`,
    );
  });

  it('ends with the pack lines for builders in a code block, and has none without builders', () => {
    const report = publicRelease();
    expect(section).toContain(['```sh', ...packUsageLines(report), '```'].join('\n'));
    report.images = report.images.filter((image) => image.kind !== 'builder');
    const tableOnly = renderReleaseSection(report);
    expect(tableOnly).not.toContain('```');
    // GitHub's tables take any next line for a row, the end marker too: a blank line ends the table first.
    expect(tableOnly).toMatch(new RegExp(`\\|\\n\\n${SECTION_END}$`));
  });

  it('escapes names and tags: no HTML, no broken table, no formatting, mentions or links', () => {
    const report = publicRelease();
    report.images[0]!.repository = 'public.ecr.aws/a/<img src=x onerror=alert(1)>|x';
    report.images[0]!.tags = ['v1_*bold*_', '[link](http://evil)', 'line\nbreak', '@team', '#1'];
    const row = renderReleaseSection(report)
      .split('\n')
      .find((line) => line.includes('onerror'))!;
    expect(row).toBe(
      '| public.ecr.aws/a/&lt;img src=x onerror=alert(1)&gt;\\|x | v1\\_\\*bold\\*\\_, \\[link\\](http://evil), ' +
        `line break, \\@team, \\#1 | ${digestOf('a')} | docker.io/paketobuildpacks/run-jammy-base:0.1.2 |`,
    );
  });

  it('fences the pack lines so backticks in a name cannot close the code block', () => {
    const report = publicRelease();
    report.images[1]!.mirror!.runImages[0]!.source = 'index.docker.io/x/run:```';
    const rendered = renderReleaseSection(report);
    expect(rendered).toContain('````sh\n');
    expect(rendered).toContain('\n````\n');
  });

  it('refuses a name that carries a section marker into the code block', () => {
    const report = publicRelease();
    report.images[1]!.mirror!.runImages[0]!.source = SECTION_END;
    expect(() => renderReleaseSection(report)).toThrow('contains an ecr-publish section marker');
  });
});

describe('withReleaseSection', () => {
  const section = renderReleaseSection(publicRelease());

  it('appends the section after a blank line, keeping the body exactly', () => {
    expect(withReleaseSection(AUTHOR_TEXT, section)).toBe(`${AUTHOR_TEXT}\n${section}`);
    expect(withReleaseSection('no newline', section)).toBe(`no newline\n\n${section}`);
    expect(withReleaseSection('', section)).toBe(section);
  });

  it('replaces the section in place, keeping every character before and after it', () => {
    const before = `${AUTHOR_TEXT}\n${SECTION_START}\nold table\n${SECTION_END}\r\n\r\nFooter text ✓ \t\n`;
    const after = withReleaseSection(before, section);
    expect(after).toBe(`${AUTHOR_TEXT}\n${section}\r\n\r\nFooter text ✓ \t\n`);
    expect(withReleaseSection(after, section)).toBe(after);
  });

  it('refuses a damaged section rather than guess which text is its own', () => {
    for (const body of [
      `text ${SECTION_START} no end`,
      `text ${SECTION_END} no start`,
      `${SECTION_END} ${SECTION_START}`,
      `${SECTION_START} a ${SECTION_END} b ${SECTION_START} c ${SECTION_END}`,
    ]) {
      expect(() => withReleaseSection(body, section)).toThrow(/marker\(s\).*remove the damaged ecr-publish section/);
    }
  });

  it("fails clearly when the body would pass GitHub's limit, counting characters", () => {
    const room = RELEASE_BODY_LIMIT - section.length - 2;
    expect(withReleaseSection('x'.repeat(room), section)).toHaveLength(RELEASE_BODY_LIMIT);
    // '😀' is one character and two UTF-16 units: GitHub counts characters.
    expect([...withReleaseSection('😀'.repeat(room), section)]).toHaveLength(RELEASE_BODY_LIMIT);
    expect(() => withReleaseSection('x'.repeat(room + 1), section)).toThrow(
      `the release body would be ${RELEASE_BODY_LIMIT + 1} characters with the ecr-publish section, over GitHub's limit of 125000; it was left unchanged`,
    );
  });
});

describe('releaseTarget', () => {
  const releaseEvent = { name: 'release', payload: { release: { id: 17, tag_name: 'v1.2.3' } } };

  it('takes the release of a release event by id, and release-tag over the event', () => {
    expect(releaseTarget(undefined, releaseEvent, 'o/r')).toEqual({ owner: 'o', repo: 'r', id: 17, tag: 'v1.2.3' });
    expect(releaseTarget('v2', releaseEvent, 'o/r')).toEqual({ owner: 'o', repo: 'r', tag: 'v2' });
    expect(releaseTarget('v2', { name: 'push', payload: {} }, 'o/r')).toEqual({ owner: 'o', repo: 'r', tag: 'v2' });
  });

  it('is an error for a run that belongs to no release, or without a repository', () => {
    expect(() => releaseTarget(undefined, { name: 'push', payload: {} }, 'o/r')).toThrow(
      'release-notes: this run belongs to no GitHub release (event push); run it on a release event or name the release with release-tag',
    );
    expect(() => releaseTarget('v1', releaseEvent, undefined)).toThrow('GITHUB_REPOSITORY is not set to owner/repo');
  });
});

describe('prepareReleaseNotes', () => {
  const fakeApi = (body: string) => {
    const calls: string[] = [];
    const state = { body };
    const api: ReleaseApi = {
      get: (target) => {
        calls.push('id' in target ? `get ${target.id}` : `get ${target.tag}`);
        return Promise.resolve({ id: 7, tag: 'v1', body: state.body });
      },
      update: (target, next) => {
        calls.push(`update ${target.id}`);
        state.body = next;
        return Promise.resolve();
      },
    };
    return { api, calls, state };
  };
  const inputs = (overrides: Parameters<typeof inputsFor>[1] = {}) =>
    inputsFor(['docker.io/x/y:1'], { releaseNotes: true, githubToken: 'ghs_x', releaseTag: 'v1', ...overrides });
  const repository = process.env.GITHUB_REPOSITORY;
  beforeAll(() => void (process.env.GITHUB_REPOSITORY = 'o/r'));
  afterAll(
    () =>
      void (repository === undefined
        ? delete process.env.GITHUB_REPOSITORY
        : (process.env.GITHUB_REPOSITORY = repository)),
  );

  it('does nothing when off or in a dry run', async () => {
    const { api, calls } = fakeApi('');
    expect(await prepareReleaseNotes(inputs({ releaseNotes: false }), testRuntime(), api)).toBeUndefined();
    expect(await prepareReleaseNotes(inputs({ dryRun: 'plan' }), testRuntime(), api)).toBeUndefined();
    expect(await prepareReleaseNotes(inputs({ dryRun: 'verify' }), testRuntime(), api)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('writes into the body as it is when the run ends, not as it was when it started', async () => {
    const { api, calls, state } = fakeApi('old');
    const notes = await prepareReleaseNotes(inputs(), testRuntime(), api);
    state.body = 'edited while copying';
    await notes!.write(publicRelease());
    expect(calls).toEqual(['get v1', 'get 7', 'update 7']);
    expect(state.body).toBe(`edited while copying\n\n${renderReleaseSection(publicRelease())}`);
  });

  it('writes nothing after a failed gate: nothing reached production', async () => {
    const { api, calls } = fakeApi('old');
    const logger = capturingLogger();
    const notes = await prepareReleaseNotes(inputs(), testRuntime(logger), api);
    await notes!.write(privateGatedRelease());
    const errored = { ...publicRelease(), gates: [{ repository: 'r', error: 'scan timed out' }] };
    await notes!.write(errored);
    expect(calls).toEqual(['get v1']);
    expect(logger.text()).toContain('the scan gate failed, so release v1 was left unchanged');
  });
});
