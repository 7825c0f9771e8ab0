/**
 * Go's `net/url.Parse`, as far as cloudflared depends on it: service addresses and `ingress rule` URLs.
 *
 * WHATWG `new URL` differs in ways that change verdicts: it lowercases and punycodes hosts, accepts
 * `localhost:8000` as scheme `localhost:`, resolves dot segments and keeps paths percent-encoded. cloudflared
 * compares raw hostnames and decoded paths, so this follows Go's algorithm and its error texts.
 */

export interface GoUrl {
  scheme: string;
  /** Host with port, as in the URL (brackets kept for IPv6). */
  host: string;
  /** Percent-decoded path. */
  path: string;
}

export class GoUrlError extends Error {
  override readonly name = 'GoUrlError';
}

type EscapeMode = 'host' | 'path' | 'userPassword' | 'fragment';

/** Go's %q for the strings we quote: printable text in double quotes with `"` and `\` escaped. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

function isHex(char: string | undefined): boolean {
  return char !== undefined && /^[0-9A-Fa-f]$/.test(char);
}

function shouldEscapeInHost(char: string): boolean {
  if (/^[0-9A-Za-z\-_.~]$/.test(char)) return false;
  return !`!$&'()*+,;=:[]<>"`.includes(char);
}

function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let index = 0; index < text.length;) {
    if (text[index] === '%') {
      bytes.push(parseInt(text.slice(index + 1, index + 3), 16));
      index += 3;
    } else {
      const char = String.fromCodePoint(text.codePointAt(index) as number);
      bytes.push(...encoder.encode(char));
      index += char.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function unescape(text: string, mode: EscapeMode): string {
  for (let index = 0; index < text.length;) {
    const char = text[index] as string;
    if (char === '%') {
      if (index + 2 >= text.length || !isHex(text[index + 1]) || !isHex(text[index + 2])) {
        throw new GoUrlError(`invalid URL escape ${goQuote(text.slice(index, index + 3))}`);
      }
      if (
        mode === 'host' &&
        parseInt(text[index + 1] as string, 16) < 8 &&
        text.slice(index, index + 3) !== '%25'
      ) {
        throw new GoUrlError(`invalid URL escape ${goQuote(text.slice(index, index + 3))}`);
      }
      index += 3;
      continue;
    }
    if (mode === 'host' && char.charCodeAt(0) < 0x80 && shouldEscapeInHost(char)) {
      throw new GoUrlError(`invalid character ${goQuote(char)} in host name`);
    }
    index++;
  }
  return percentDecode(text);
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  return /^:[0-9]*$/.test(port);
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new GoUrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new GoUrlError(`invalid port ${goQuote(colonPort)} after host`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      const colonPort = host.slice(colon);
      if (!validOptionalPort(colonPort))
        throw new GoUrlError(`invalid port ${goQuote(colonPort)} after host`);
    }
  }
  return unescape(host, 'host');
}

function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf('@');
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!/^[0-9A-Za-z\-._:~!$&'()*+,;=%@]*$/.test(userinfo))
      throw new GoUrlError('net/url: invalid userinfo');
    unescape(userinfo, 'userPassword');
  }
  return host;
}

function getScheme(raw: string): { scheme: string; rest: string } {
  for (let index = 0; index < raw.length; index++) {
    const char = raw[index] as string;
    if (/^[A-Za-z]$/.test(char)) continue;
    if (/^[0-9+\-.]$/.test(char)) {
      if (index === 0) return { scheme: '', rest: raw };
      continue;
    }
    if (char === ':') {
      if (index === 0) throw new GoUrlError('missing protocol scheme');
      return { scheme: raw.slice(0, index), rest: raw.slice(index + 1) };
    }
    return { scheme: '', rest: raw };
  }
  return { scheme: '', rest: raw };
}

function parseWithoutFragment(raw: string): GoUrl {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new GoUrlError('net/url: invalid control character in URL');
  if (raw === '*') return { scheme: '', host: '', path: '*' };
  const { scheme, rest: afterScheme } = getScheme(raw);
  let rest = afterScheme;
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    rest = rest.slice(0, -1);
  } else {
    const query = rest.indexOf('?');
    if (query >= 0) rest = rest.slice(0, query);
  }
  if (!rest.startsWith('/')) {
    // `scheme:rest` without `//` is an opaque URL: no host and no path (so `localhost:8000` has no hostname).
    if (scheme !== '') return { scheme: scheme.toLowerCase(), host: '', path: '' };
    const firstSegment = rest.split('/')[0] as string;
    if (firstSegment.includes(':')) throw new GoUrlError('first path segment in URL cannot contain colon');
  }
  let host = '';
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    host = parseAuthority(authority);
  }
  return { scheme: scheme.toLowerCase(), host, path: unescape(rest, 'path') };
}

/** Go's url.Parse; throws GoUrlError whose message is Go's `parse "<url>": <reason>`. */
export function parseGoUrl(raw: string): GoUrl {
  const hash = raw.indexOf('#');
  const withoutFragment = hash < 0 ? raw : raw.slice(0, hash);
  let url: GoUrl;
  try {
    url = parseWithoutFragment(withoutFragment);
  } catch (error) {
    throw new GoUrlError(`parse ${goQuote(withoutFragment)}: ${(error as Error).message}`);
  }
  if (hash >= 0) {
    try {
      unescape(raw.slice(hash + 1), 'fragment');
    } catch (error) {
      throw new GoUrlError(`parse ${goQuote(raw)}: ${(error as Error).message}`);
    }
  }
  return url;
}

/** Go's URL.Hostname(): the host without port and IPv6 brackets. */
export function goHostname(host: string): string {
  let name = host;
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) name = host.slice(0, colon);
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return name;
}

/** Go's net.SplitHostPort success check, used by cloudflared to reject hostnames with a port. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return undefined;
  let host: string;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) return undefined;
    if (close + 1 !== colon) return undefined;
    host = hostport.slice(1, close);
    if (host.includes('[') || host.includes(']')) return undefined;
  } else {
    host = hostport.slice(0, colon);
    if (host.includes(':')) return undefined;
    if (host.includes('[') || host.includes(']')) return undefined;
  }
  const port = hostport.slice(colon + 1);
  if (port.includes('[') || port.includes(']')) return undefined;
  return { host, port };
}
