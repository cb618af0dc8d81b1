/** The inputs of the GitHub release section: release-notes, github-token and release-tag. */
import { InputError, parseBoolean, quote } from './input-parsers.js';

type Get = (name: string) => string;

// git check-ref-format, roughly: printable ASCII without spaces or `~^:?*[\`, no `..`, no leading `-`.
const RELEASE_TAG = /^(?!-)(?!.*\.\.)[!-~]{1,255}$/;
const REF_SPECIALS = /[~^:?*[\\]/;

/** Whether and where the run writes its section into a GitHub release body. */
export function releaseInputs(get: Get) {
  const releaseNotes = parseBoolean('release-notes', get('release-notes'), false);
  const githubToken = get('github-token');
  const releaseTag = get('release-tag');
  if (releaseTag !== '' && !releaseNotes) throw new InputError('release-tag', 'only applies with release-notes true');
  if (releaseTag !== '' && (!RELEASE_TAG.test(releaseTag) || REF_SPECIALS.test(releaseTag)))
    throw new InputError('release-tag', `${quote(releaseTag)} is not a git tag name`);
  if (releaseNotes && githubToken === '')
    throw new InputError('github-token', 'is required with release-notes true (the default is ${{ github.token }})');
  return {
    releaseNotes,
    ...(releaseNotes && githubToken !== '' ? { githubToken } : {}),
    ...(releaseTag !== '' ? { releaseTag } : {}),
  };
}
