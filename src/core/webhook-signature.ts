import { createHmac, timingSafeEqual } from 'node:crypto';

/** Digest sizes of the HMACs webhook senders use; a header naming anything else is refused. */
const DIGEST_BYTES: Readonly<Record<string, number>> = { sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

const GITHUB_SIGNATURE_ALGORITHMS: readonly string[] = ['sha256'];
const FLUX_SIGNATURE_ALGORITHMS: readonly string[] = ['sha224', 'sha256', 'sha384', 'sha512'];

/** The algorithm and digest of a `<algo>=<hex>` header, when it names one of `algorithms` with a digest of its size. */
function parseSignature(
  header: string | undefined,
  algorithms: readonly string[],
): { algorithm: string; digest: Buffer } | undefined {
  const match = /^([a-z0-9]+)=([0-9a-fA-F]+)$/.exec(header ?? '');
  if (!match) return undefined;
  const algorithm = match[1]!;
  const hex = match[2]!;
  const size = DIGEST_BYTES[algorithm];
  if (!algorithms.includes(algorithm) || size === undefined || hex.length !== size * 2) return undefined;
  return { algorithm, digest: Buffer.from(hex, 'hex') };
}

/**
 * Checks a `<algo>=<hex HMAC of the exact raw body>` header (GitHub's `X-Hub-Signature-256`, Flux's `X-Signature`)
 * in constant time. The key is used as its raw bytes; hex case does not matter.
 */
export function verifyHmacSignature(
  key: string,
  rawBody: Buffer,
  header: string | undefined,
  algorithms: readonly string[],
): boolean {
  const signature = parseSignature(header, algorithms);
  if (!signature || key.length === 0) return false;
  const expected = createHmac(signature.algorithm, Buffer.from(key, 'utf8')).update(rawBody).digest();
  return timingSafeEqual(signature.digest, expected);
}

/** Whether a header could be GitHub's signature at all: checked before the body is read. */
export function isGitHubSignatureHeader(header: string): boolean {
  return parseSignature(header, GITHUB_SIGNATURE_ALGORITHMS) !== undefined;
}

/** Whether a header could be Flux's signature at all: checked before the body is read. */
export function isFluxSignatureHeader(header: string): boolean {
  return parseSignature(header, FLUX_SIGNATURE_ALGORITHMS) !== undefined;
}

/** GitHub's `X-Hub-Signature-256` is `sha256=<hex HMAC of the exact raw body>` keyed with the webhook secret. */
export function verifyGitHubSignature(
  secret: string,
  rawBody: Buffer,
  signature: string | undefined,
): boolean {
  return verifyHmacSignature(secret, rawBody, signature, GITHUB_SIGNATURE_ALGORITHMS);
}

/**
 * Flux's `X-Signature` is `<algo>=<hex HMAC of the exact raw body>` keyed with the raw bytes of the Provider's token;
 * notification-controller sends sha256, Flux's documented verifier also accepts sha224, sha384 and sha512.
 */
export function verifyFluxSignature(token: string, rawBody: Buffer, signature: string | undefined): boolean {
  return verifyHmacSignature(token, rawBody, signature, FLUX_SIGNATURE_ALGORITHMS);
}
