import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMap, isScalar, isSeq } from 'yaml';
import { formatGoFloat } from '../../src/gitops/sops/goformat.js';
import { decryptYaml, encryptYaml } from '../../src/gitops/sops/index.js';
import { goValueOf, parseYamlStream } from '../../src/gitops/sops/tree.js';
import { VECTOR_RECIPIENT, vectorIdentities } from '../helpers/sops.js';

/** A value as Go's yaml.v3 types it; the comparison model for "survives unchanged". */
type Model =
  | { t: 'null' }
  | { t: 'str'; v: string }
  | { t: 'int'; v: string }
  | { t: 'float'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'list'; v: Model[] }
  | { t: 'map'; v: [string, Model][] };

const identities = vectorIdentities('age.txt');

const trickyStrings = fc.constantFrom(
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '~',
  'null',
  'true',
  'False',
  '123',
  '-1.5',
  '1e3',
  '0x1F',
  '.inf',
  '2024-01-01',
  '2024-01-01T10:00:00Z',
  '',
  ' leading space',
  'trailing ',
  'a: b',
  '#not a comment',
  '- dash',
  'multi\nline\n',
  'ENC[not really]',
  '"quoted"',
  "it's",
  'tab\there',
  'ünïcødé ✓ 日本語 🔐',
);
const strings = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 24 }), trickyStrings);
const keyArb = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.constantFrom('data', 'stringData', 'a:b', '10', 'key.with.dots', 'ключ'),
);

const leaf: fc.Arbitrary<Model> = fc.oneof(
  fc.constant<Model>({ t: 'null' }),
  strings.map((v): Model => ({ t: 'str', v })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v): Model => ({ t: 'int', v: v.toString() })),
  fc.double().map((v): Model => ({ t: 'float', v: formatGoFloat(v) })),
  fc.boolean().map((v): Model => ({ t: 'bool', v })),
);

const { tree } = fc.letrec<{ tree: Model; node: Model; map: Model }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('map'),
    fc.array(tie('node'), { maxLength: 4 }).map((v): Model => ({ t: 'list', v })),
  ),
  map: fc
    .uniqueArray(fc.tuple(keyArb, tie('node')), { selector: ([key]) => key, maxLength: 5 })
    .map((v): Model => ({ t: 'map', v })),
  tree: fc
    .uniqueArray(fc.tuple(keyArb, tie('node')), { selector: ([key]) => key, minLength: 1, maxLength: 6 })
    .filter((entries) => entries.every(([key]) => key !== 'sops'))
    .map((v): Model => ({ t: 'map', v })),
}));

/** Flow-style YAML (JSON-compatible) whose scalars yaml.v3 types exactly as the model says. */
function render(model: Model): string {
  switch (model.t) {
    case 'null':
      return 'null';
    case 'str':
      return JSON.stringify(model.v);
    case 'int':
      return model.v;
    case 'bool':
      return String(model.v);
    case 'float':
      if (model.v === 'NaN') return '.nan';
      if (model.v === '+Inf') return '.inf';
      if (model.v === '-Inf') return '-.inf';
      return model.v.includes('.') ? model.v : `${model.v}.0`;
    case 'list':
      return `[${model.v.map(render).join(', ')}]`;
    case 'map':
      return `{${model.v.map(([key, value]) => `${JSON.stringify(key)}: ${render(value)}`).join(', ')}}`;
  }
}

function modelOf(node: unknown): Model {
  if (isScalar(node)) {
    const value = goValueOf(node);
    switch (value.kind) {
      case 'null':
        return { t: 'null' };
      case 'str':
        return { t: 'str', v: value.value };
      case 'int':
        return { t: 'int', v: value.value.toString() };
      case 'float':
        return { t: 'float', v: formatGoFloat(value.value) };
      case 'bool':
        return { t: 'bool', v: value.value };
      case 'time':
        return { t: 'str', v: `TIME ${value.text}` };
    }
  }
  if (isSeq(node)) return { t: 'list', v: node.items.map(modelOf) };
  if (isMap(node))
    return {
      t: 'map',
      v: node.items.map((pair) => [String((pair.key as { value: unknown }).value), modelOf(pair.value)]),
    };
  throw new Error(`unexpected node ${String(node)}`);
}

function leaves(model: Model, keys: Set<string>): string[] {
  if (model.t === 'list') return model.v.flatMap((item) => leaves(item, keys));
  if (model.t === 'map') {
    for (const [key] of model.v) keys.add(key);
    return model.v.flatMap(([, value]) => leaves(value, keys));
  }
  if (model.t === 'null') return [];
  if (model.t === 'bool') return [model.v ? 'True' : 'False'];
  return [model.v];
}

test('random YAML trees survive encrypt then decrypt (all or only data/stringData encrypted) with types and order; no encrypted plaintext leaks', async () => {
  await fc.assert(
    fc.asyncProperty(tree, fc.boolean(), async (model, onlyDataKeys) => {
      const plaintext = `${render(model)}\n`;
      const encrypted = await encryptYaml(plaintext, {
        recipients: [VECTOR_RECIPIENT],
        ...(onlyDataKeys ? { rule: { kind: 'encrypted_regex', value: '^(data|stringData)$' } } : {}),
      });
      const decrypted = await decryptYaml(encrypted, { identities });
      const [document] = parseYamlStream(decrypted, 'decrypted');
      assert.deepEqual(modelOf(document?.contents), model);

      if (onlyDataKeys) return;
      // Keys stay readable by design; ciphertexts and the sops block are removed so that only structure remains.
      const keys = new Set<string>();
      const secrets = leaves(model, keys).filter((value) => value.length >= 4);
      const structure = encrypted
        .slice(0, encrypted.indexOf('\nsops:'))
        .replace(/ENC\[AES256_GCM,[^\]]*\]/g, 'ENC');
      for (const secret of secrets) {
        // Nulls are written as `null` in the output by design, so that text is no evidence of a leak.
        if (secret === 'null' || [...keys].some((key) => key.includes(secret))) continue;
        assert.ok(!structure.includes(secret), `plaintext ${JSON.stringify(secret)} leaked into the output`);
      }
    }),
    { numRuns: 100 },
  );
});
