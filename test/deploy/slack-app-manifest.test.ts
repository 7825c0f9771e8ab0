import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { AppsManifestCreateArguments } from '@slack/web-api';
import ts from 'typescript';
import { parseDocument } from 'yaml';

type Manifest = AppsManifestCreateArguments['manifest'];

const SOCKET = 'deploy/slack-app-manifest.yaml';
const HTTP = 'deploy/slack-app-manifest.http.yaml';
const EVENTS_URL = 'https://<host>/slack/events';

function manifest(path: string): Manifest {
  const document = parseDocument(readFileSync(path, 'utf8'), { uniqueKeys: true });
  assert.deepEqual(document.errors, [], `${path} is valid YAML`);
  return document.toJS() as Manifest;
}

/**
 * Type-level check of the files' contents: each parsed manifest becomes an object literal assigned to the
 * `Manifest` type of @slack/web-api, compiled by tsc with the project's options (excess and wrong-typed properties
 * in nested objects are errors). Returns the diagnostics per file.
 */
function typeErrors(manifests: Record<string, unknown>): Record<string, string[]> {
  // Inside node_modules so the module resolution finds @slack/web-api from the temporary file.
  const directory = resolve('node_modules/.cache/tunnelbot-manifest-check');
  mkdirSync(directory, { recursive: true });
  const files = Object.entries(manifests).map(([name, value], index) => {
    const file = join(directory, `check-${index}.ts`);
    writeFileSync(
      file,
      `import type { AppsManifestCreateArguments } from '@slack/web-api';\n` +
        `export const manifest: AppsManifestCreateArguments['manifest'] = ${JSON.stringify(value, null, 2)};\n`,
    );
    return [name, file] as const;
  });
  const program = ts.createProgram(
    files.map(([, file]) => file),
    {
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
  );
  return Object.fromEntries(
    files.map(([name, file]) => [
      name,
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(file))
        .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')),
    ]),
  );
}

test('both Slack manifests type-check as the Manifest of @slack/web-api (and a wrong one does not)', () => {
  const socket = manifest(SOCKET);
  const wrongType = { ...socket, settings: { ...socket.settings, socket_mode_enabled: 'yes' } };
  const missingKey = {
    ...socket,
    features: { ...socket.features, slash_commands: [{ command: '/expose' }] },
  };
  const errors = typeErrors({ socket, http: manifest(HTTP), wrongType, missingKey });
  assert.deepEqual(errors['socket'], []);
  assert.deepEqual(errors['http'], []);
  assert.match(
    errors['wrongType']!.join('\n'),
    /Type 'string' is not assignable to type 'boolean \| undefined'/,
  );
  assert.match(errors['missingKey']!.join('\n'), /Property 'description' is missing/);
});

test('the Socket Mode manifest: the two commands, interactivity, the minimal bot scopes, Socket Mode on', () => {
  const socket = manifest(SOCKET);
  assert.ok(socket.display_information.name.length <= 35);
  assert.equal(socket.features?.bot_user?.display_name, 'tunnelbot');
  assert.deepEqual(
    socket.features?.slash_commands?.map((command) => command.command),
    ['/expose', '/unexpose'],
  );
  for (const command of socket.features!.slash_commands!) {
    assert.ok(command.description.length > 0);
    assert.equal(command.url, undefined, 'Socket Mode delivers commands over the socket');
  }
  assert.deepEqual(socket.oauth_config?.scopes?.bot, ['commands', 'chat:write']);
  assert.equal(socket.settings?.interactivity?.is_enabled, true);
  assert.equal(socket.settings?.interactivity?.request_url, undefined);
  assert.equal(socket.settings?.socket_mode_enabled, true);
  const text = readFileSync(SOCKET, 'utf8');
  for (const optional of ['chat:write.public', 'users:read', 'usergroups:read']) {
    assert.match(
      text,
      new RegExp(`^ {6}# - ${optional.replace('.', '\\.')} +# \\S`, 'm'),
      `${optional} is noted`,
    );
  }
  assert.match(text, /connections:write/, 'says how to get the app-level token');
});

test('the HTTP manifest is the Socket Mode one with /slack/events on each command and interactivity', () => {
  const socket = manifest(SOCKET);
  const http = manifest(HTTP);
  assert.equal(http.settings?.socket_mode_enabled, false);
  assert.equal(http.settings?.interactivity?.request_url, EVENTS_URL);
  for (const command of http.features!.slash_commands!) assert.equal(command.url, EVENTS_URL);
  const withoutUrls = structuredClone(http) as Manifest;
  for (const command of withoutUrls.features!.slash_commands!) delete command.url;
  delete withoutUrls.settings!.interactivity!.request_url;
  withoutUrls.settings!.socket_mode_enabled = true;
  assert.deepEqual(withoutUrls, socket);
  assert.match(readFileSync(HTTP, 'utf8'), /SLACK_SIGNING_SECRET/);
});
