import { TunnelbotError } from '../errors.js';

/** GitHub's merge methods, in the order tunnelbot prefers them: one commit per request, then history, then rebase. */
export const MERGE_METHODS = ['squash', 'merge', 'rebase'] as const;

export type MergeMethod = (typeof MERGE_METHODS)[number];

/** Which methods the repository allows (its `allow_squash_merge`, `allow_merge_commit`, `allow_rebase_merge`). */
export type AllowedMergeMethods = Readonly<Record<MergeMethod, boolean>>;

/** The checkboxes as GitHub names them under Settings › General › Pull Requests. */
export const MERGE_METHOD_SETTING: Readonly<Record<MergeMethod, string>> = {
  squash: 'Allow squash merging',
  merge: 'Allow merge commits',
  rebase: 'Allow rebase merging',
};

/** How the PR comment and the logs name a method (GitHub's merge button says the same). */
export const MERGE_METHOD_LABEL: Readonly<Record<MergeMethod, string>> = {
  squash: 'squash and merge',
  merge: 'merge commit',
  rebase: 'rebase and merge',
};

/**
 * The method an approval merges with: the configured one (`repository.mergeMethod`) when the repository allows
 * it, otherwise the first allowed of squash, merge, rebase. A configured method the repository disallows is an
 * error naming both settings, never a silent switch, since the operator chose it for a reason.
 */
export function chooseMergeMethod(
  allowed: AllowedMergeMethods,
  repository: string,
  configured?: MergeMethod,
): MergeMethod {
  const permitted = MERGE_METHODS.filter((method) => allowed[method]);
  if (configured !== undefined) {
    if (allowed[configured]) return configured;
    throw new TunnelbotError(
      'TB_ERR_GITHUB_MERGE_METHOD',
      `The settings ask for ${MERGE_METHOD_LABEL[configured]} (repository.mergeMethod: ${configured}), but ` +
        `${repository} does not allow it ("${MERGE_METHOD_SETTING[configured]}" is off).`,
      {
        fix:
          `Turn on "${MERGE_METHOD_SETTING[configured]}" in ${repository}'s Settings › General › Pull Requests, or ` +
          (permitted.length > 0
            ? `set repository.mergeMethod to ${permitted.join(' or ')}, or remove it to follow the repository.`
            : 'remove repository.mergeMethod.'),
        details: { configured, allowed: permitted },
      },
    );
  }
  const [first] = permitted;
  if (first !== undefined) return first;
  throw new TunnelbotError(
    'TB_ERR_GITHUB_MERGE_METHOD',
    `${repository} allows no merge method (squash, merge commits and rebase are all off).`,
    {
      fix: `Turn on "${MERGE_METHOD_SETTING.squash}" (or another method) in ${repository}'s Settings › General › Pull Requests.`,
      details: { allowed: permitted },
    },
  );
}
