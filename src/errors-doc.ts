import { ERROR_CATALOG, type ErrorKind } from './errors.js';

const KIND_MEANING: Record<ErrorKind, string> = {
  input: 'what was asked is wrong; nothing was changed',
  config: 'the installation or repository needs a change',
  conflict: 'something else already holds the name or state',
  upstream: 'Cloudflare, GitHub or Slack failed; safe to retry',
  internal: 'a bug in tunnelbot',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** docs/errors.md, generated from the catalog so the two can never disagree (a test checks it). */
export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CATALOG).map(
    ([code, entry]) => `| \`${code}\` | ${entry.kind} | ${cell(entry.title)} | ${cell(entry.fix)} |`,
  );
  return [
    '# Error codes',
    '',
    'Every error tunnelbot reports carries one of these stable codes (codes are added, never renamed), a message',
    'saying exactly what was wrong, and a fix. Generated from `src/errors.ts` by `npm run docs:errors`.',
    '',
    'Kinds: ' +
      Object.entries(KIND_MEANING)
        .map(([kind, meaning]) => `**${kind}**: ${meaning}`)
        .join('; ') +
      '.',
    '',
    '| code | kind | meaning | fix |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
