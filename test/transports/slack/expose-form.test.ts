import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkModalView, type FakeViewValue } from '../../../src/sandbox/slack/index.js';
import { submissionState } from '../../../src/sandbox/slack/views.js';
import { EXPOSE_FORM_CALLBACK } from '../../../src/transports/slack/blocks.js';
import { exposeForm, readExposeForm } from '../../../src/transports/slack/expose-form.js';

const form = exposeForm({
  channel: 'C0TUNNELS',
  environments: ['staging', 'production'],
  defaultEnvironment: 'staging',
});

/** What Slack sends when the form is submitted with `typed` in its fields. */
function submission(
  typed: Record<string, string>,
  environment?: string,
  view = form,
): { state: { values: unknown }; private_metadata?: string } {
  const entered: Record<string, Record<string, FakeViewValue>> = {};
  for (const [block, value] of Object.entries(typed)) {
    entered[block] = { value: { type: 'plain_text_input', value } };
  }
  if (environment)
    entered.env = { value: { type: 'static_select', selected_option: { value: environment } } };
  return {
    state: { values: submissionState('V1', view.blocks, entered) },
    private_metadata: view.private_metadata,
  };
}

test('exposeForm: Slack accepts it with one environment and with a hundred', () => {
  for (const count of [1, 100]) {
    const environments = Array.from({ length: count }, (_, i) => `environment-${i}`);
    const view = exposeForm({ channel: 'C0TUNNELS', environments, defaultEnvironment: environments.at(-1)! });
    assert.deepEqual(checkModalView(view), [], `${count} environments`);
    assert.equal(view.callback_id, EXPOSE_FORM_CALLBACK);
  }
});

test('exposeForm: the channel travels in private_metadata and the default environment is preselected', () => {
  assert.deepEqual(JSON.parse(form.private_metadata!), { channel: 'C0TUNNELS' });
  const state = submission({ app: 'linkding', port: '9090' });
  assert.deepEqual(readExposeForm(state), {
    ok: true,
    channel: 'C0TUNNELS',
    command: { app: 'linkding', port: 9090, environment: 'staging' },
  });
});

test('readExposeForm: every field, normalized as the command does it', () => {
  const result = readExposeForm(
    submission({ app: ' LinkDing ', port: ' 9090 ', host: 'Links.Example.com.', ns: 'Apps' }, 'production'),
  );
  assert.deepEqual(result, {
    ok: true,
    channel: 'C0TUNNELS',
    command: {
      app: 'linkding',
      port: 9090,
      hostname: 'links.example.com',
      environment: 'production',
      namespace: 'apps',
    },
  });
});

test('readExposeForm: each bad field gets its own message, all at once', () => {
  const result = readExposeForm(
    submission({ app: 'link_ding', port: '70000', host: 'https://x.example.com', ns: 'my_ns' }),
  );
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.deepEqual(Object.keys(result.errors).sort(), ['app', 'host', 'ns', 'port']);
  assert.match(result.errors.app!, /"link_ding" is not a valid app name/);
  assert.match(result.errors.port!, /"70000" is not a port/);
  assert.match(result.errors.host!, /not a bare hostname/);
  assert.match(result.errors.ns!, /"my_ns" is not a valid Kubernetes namespace/);
});

for (const [field, value, message] of [
  ['app', '-x', /"-x" is not a valid app name/],
  ['port', 'http', /"http" is not a port/],
  ['host', 'localhost', /"localhost" is not a valid DNS hostname/],
  ['ns', '-ns', /"-ns" is not a valid Kubernetes namespace/],
] as const) {
  test(`readExposeForm: a bad ${field} alone is reported next to it`, () => {
    const typed: Record<string, string> = { app: 'linkding', port: '9090', [field]: value };
    const result = readExposeForm(submission(typed));
    assert.ok(!result.ok);
    assert.deepEqual(Object.keys(result.errors), [field]);
    assert.match(result.errors[field]!, message);
  });
}

test('readExposeForm: missing app and port values (as a hand-made payload could send) are field errors', () => {
  const values = {
    app: { value: { type: 'plain_text_input', value: null } },
    port: { value: { type: 'plain_text_input' } },
  };
  const result = readExposeForm({ state: { values }, private_metadata: form.private_metadata });
  assert.ok(!result.ok);
  assert.deepEqual(Object.keys(result.errors).sort(), ['app', 'port']);
  assert.match(result.errors.port!, /"" is not a port/);
});

for (const [name, privateMetadata] of [
  ['missing', undefined],
  ['not JSON', '{channel'],
  ['without a channel', '{"room":"C0TUNNELS"}'],
  ['with an empty channel', '{"channel":""}'],
] as const) {
  test(`readExposeForm: private_metadata ${name} asks to reopen the form`, () => {
    const state = submission({ app: 'linkding', port: '9090' });
    const result = readExposeForm({
      state: state.state,
      ...(privateMetadata !== undefined && { private_metadata: privateMetadata }),
    });
    assert.deepEqual(result, {
      ok: false,
      errors: { app: 'This form is out of date; close it and type /expose again.' },
    });
  });
}

test('readExposeForm: state values of the wrong shape ask to reopen the form', () => {
  const result = readExposeForm({
    state: { values: { app: 'linkding' } },
    private_metadata: form.private_metadata,
  });
  assert.ok(!result.ok);
  assert.match(result.errors.app!, /out of date/);
});

test('exposeForm: the "public (no Access)" checkbox is optional and starts unticked', () => {
  const block = form.blocks.find((b) => 'block_id' in b && b.block_id === 'access') as
    | {
        optional?: boolean;
        element: {
          type: string;
          options: { value: string; text: { text: string } }[];
          initial_options?: unknown;
        };
      }
    | undefined;
  assert.ok(block, 'the form has an access block');
  assert.equal(block.optional, true);
  assert.equal(block.element.type, 'checkboxes');
  assert.deepEqual(
    block.element.options.map((o) => [o.value, o.text.text]),
    [['public', 'public (no Access)']],
  );
  assert.equal(block.element.initial_options, undefined);
});

test('readExposeForm: the ticked checkbox asks for access=public, unticked asks for nothing', () => {
  const state = submission({ app: 'grafana', port: '3000' });
  const values = state.state.values as Record<string, Record<string, unknown>>;
  assert.equal((readExposeForm(state) as { command: { access?: string } }).command.access, undefined);
  const ticked = submissionState('V1', form.blocks, {
    app: { value: { type: 'plain_text_input', value: 'grafana' } },
    port: { value: { type: 'plain_text_input', value: '3000' } },
    access: { value: { type: 'checkboxes', selected_options: [{ value: 'public' }] } },
  });
  assert.ok(values.access, 'Slack sends the unticked checkbox too');
  assert.deepEqual(readExposeForm({ state: { values: ticked }, private_metadata: form.private_metadata }), {
    ok: true,
    channel: 'C0TUNNELS',
    command: { app: 'grafana', port: 3000, environment: 'staging', access: 'public' },
  });
});
