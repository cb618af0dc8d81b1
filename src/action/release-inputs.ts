/** The inputs of the GitHub release section: release-notes, github-token and release-tag. */
import { type Get, InputError, InputProblems, parseBoolean, quote } from './input-parsers.js';

// git check-ref-format, roughly: printable ASCII without spaces or `~^:?*[\`, no `..`, no leading `-`.
const RELEASE_TAG = /^(?!-)(?!.*\.\.)[!-~]{1,255}$/;
const REF_SPECIALS = /[~^:?*[\\]/;

/** Whether and where the run writes its section into a GitHub release body. */
export function releaseInputs(get: Get, p: InputProblems) {
  const releaseNotes = p.take(() => parseBoolean('release-notes', get('release-notes'), false), false);
  const notesWanted = releaseNotes || p.failed('release-notes');
  const githubToken = p.take(() => {
    const token = get('github-token');
    if (releaseNotes && token === '')
      throw new InputError('github-token', 'is required with release-notes true (the default is ${{ github.token }})');
    return token;
  }, '');
  const releaseTag = p.take(() => {
    const tag = get('release-tag');
    if (tag !== '' && !notesWanted) throw new InputError('release-tag', 'only applies with release-notes true');
    if (tag !== '' && (!RELEASE_TAG.test(tag) || REF_SPECIALS.test(tag)))
      throw new InputError('release-tag', `${quote(tag)} is not a git tag name`);
    return tag;
  }, '');
  return {
    releaseNotes,
    ...(releaseNotes && githubToken !== '' ? { githubToken } : {}),
    ...(releaseTag !== '' ? { releaseTag } : {}),
  };
}
