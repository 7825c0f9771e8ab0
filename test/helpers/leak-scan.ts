import type { FakeExchange } from '../../src/sandbox/github/server.js';
import { watchStandIns, type StandIn, type StandInSecret } from '../../src/sandbox/watch.js';

/**
 * The leak scan of the whole test suite. Everything that leaves the service under test passes through a stand-in
 * (src/sandbox/) or the test log capture (logs.ts), so the helpers register here every secret a test makes or a
 * stand-in generates (tokens, signing secrets, tunnel secrets and run tokens, age identities) and every artefact
 * the service produced (log lines, what Slack was sent, what GitHub was sent: PR titles, bodies, comments, commit
 * messages, file contents; /metrics output; CLI output). At the end of every test file (leak-scan-hook.ts, loaded
 * by scripts/run-tests.mjs with --import) no secret may appear in any artefact, in its plain, base64 (at any byte
 * offset, so inside a longer base64 text too), base64url, URL-encoded or hex form. A finding names the artefact and
 * the kind of secret, never the secret.
 */

interface Artefact {
  readonly kind: string;
  readonly read: () => string;
}

/** Shorter values would match by chance; every real secret is longer. */
const MIN_SECRET_LENGTH = 12;
/** An age identity is a secret whoever made it: none may ever appear anywhere. */
const AGE_IDENTITY = /AGE-SECRET-KEY-1[0-9A-Z]{50,}/;

const secrets = new Map<string, string>();
const standIns: StandIn[] = [];
const artefacts: Artefact[] = [];

export function registerSecret(kind: string, value: string): void {
  if (value.length >= MIN_SECRET_LENGTH && !secrets.has(value)) secrets.set(value, kind);
}

/** `read` is called when the scan runs, so an artefact that grows (a log) is read whole. */
export function registerArtefact(kind: string, read: () => string): void {
  artefacts.push({ kind, read });
}

/** A fixed artefact (output already complete). */
export function recordArtefact(kind: string, text: string): void {
  if (text.length > 0) artefacts.push({ kind, read: () => text });
}

/**
 * The substrings any encoding of a text containing `secret` must contain: the secret itself; for each of the three
 * byte offsets it can start at inside a longer text, the base64 characters that encode only its own bytes (and the
 * base64url spelling of those); its URL encoding; the hex of its bytes, and of the bytes it encodes when it is
 * base64 itself (a tunnel secret).
 */
export function leakForms(secret: string): { form: string; text: string }[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [{ form: 'plain', text: secret }];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const whole = Math.floor((offset + bytes.length) / 3) * 4;
    const own = encoded.slice(offset === 0 ? 0 : 4, whole);
    if (own.length >= 8) {
      forms.push({ form: `base64 (offset ${offset})`, text: own });
      const url = own.replaceAll('+', '-').replaceAll('/', '_');
      if (url !== own) forms.push({ form: `base64url (offset ${offset})`, text: url });
    }
  }
  const uri = encodeURIComponent(secret);
  if (uri !== secret) forms.push({ form: 'URL-encoded', text: uri });
  forms.push({ form: 'hex', text: bytes.toString('hex') });
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(secret) && secret.length % 4 === 0) {
    const decoded = Buffer.from(secret, 'base64');
    if (decoded.length >= 16) forms.push({ form: 'hex of its bytes', text: decoded.toString('hex') });
  }
  return forms;
}

function standInSecrets(): StandInSecret[] {
  return standIns.flatMap((standIn) => standIn.fake.secrets());
}

/** Every leak found in what was registered so far: "the Slack bot token (plain) in log lines". */
export function findLeaks(): string[] {
  const known = new Map(secrets);
  for (const secret of standInSecrets()) {
    if (secret.value.length >= MIN_SECRET_LENGTH && !known.has(secret.value))
      known.set(secret.value, secret.kind);
  }
  const patterns = [...known].flatMap(([value, kind]) => leakForms(value).map((form) => ({ kind, ...form })));
  const found = new Set<string>();
  for (const artefact of [...artefacts, ...standInArtefacts()]) {
    const text = artefact.read();
    if (text.length === 0) continue;
    for (const pattern of patterns) {
      if (text.includes(pattern.text)) found.add(`the ${pattern.kind} (${pattern.form}) in ${artefact.kind}`);
    }
    if (AGE_IDENTITY.test(text)) found.add(`an age identity (AGE-SECRET-KEY-1…) in ${artefact.kind}`);
  }
  return [...found];
}

/** Forgets everything registered so far (the scan's own test plants a leak on purpose). */
export function forgetAll(): void {
  secrets.clear();
  standIns.length = 0;
  artefacts.length = 0;
  githubSent.clear();
}

// --- what the stand-ins saw ---------------------------------------------------------------------------------------

const githubSent = new Map<StandIn['fake'], string[]>();

/** What the service wrote to GitHub, decoded: JSON bodies, with base64 blob contents turned back into text. */
function githubText(exchange: FakeExchange): string | undefined {
  if (exchange.method === 'GET' || exchange.requestBody === undefined) return undefined;
  const body = exchange.requestBody as Record<string, unknown>;
  const blob =
    body['encoding'] === 'base64' && typeof body['content'] === 'string'
      ? Buffer.from(body['content'], 'base64').toString('utf8')
      : '';
  return `${JSON.stringify(body)}\n${blob}`;
}

function standInArtefacts(): Artefact[] {
  return standIns.flatMap((standIn): Artefact[] => {
    switch (standIn.kind) {
      case 'slack': {
        const slack = standIn.fake;
        return [
          { kind: 'what Slack was sent (Web API calls)', read: () => JSON.stringify(slack.calls) },
          {
            kind: 'what Slack was sent (response_url posts)',
            read: () => JSON.stringify(slack.responseUrlPosts),
          },
        ];
      }
      case 'github': {
        const sent = githubSent.get(standIn.fake) ?? [];
        return [
          { kind: 'what GitHub was sent (PRs, comments, commits, files)', read: () => sent.join('\n') },
        ];
      }
      case 'cloudflare':
        // Cloudflare is where the tunnel secret is meant to go; what it holds is checked as secrets, not artefacts.
        return [];
    }
  });
}

let watching = false;

/** Starts watching the stand-ins; the hook calls it once per test process. */
export function watchForLeaks(): void {
  if (watching) return;
  watching = true;
  watchStandIns((standIn) => {
    standIns.push(standIn);
    if (standIn.kind !== 'github') return;
    const sent: string[] = [];
    githubSent.set(standIn.fake, sent);
    const options = standIn.fake.options;
    const earlier = options.onExchange;
    options.onExchange = (exchange) => {
      earlier?.(exchange);
      const text = githubText(exchange);
      if (text !== undefined) sent.push(text);
    };
  });
}
