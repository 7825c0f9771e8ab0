import { blockKitErrors, textObjectErrors, tooLong } from './block-kit.js';

/**
 * Modals as Slack handles them: what `views.open` accepts, the ids it fills in, and the `state.values` a
 * `view_submission` carries, built from what the person typed or picked in the view's input blocks.
 */

export type FakeViewValue =
  | { type: 'plain_text_input'; value: string }
  | { type: 'static_select'; selected_option: { value: string; text?: string } | null }
  | { type: 'checkboxes'; selected_options: { value: string }[] };

type StateValue =
  | { type: 'plain_text_input'; value: string | null }
  | { type: 'static_select'; selected_option: SelectedOption | null }
  | { type: 'checkboxes'; selected_options: SelectedOption[] };

type StateValues = Record<string, Record<string, StateValue>>;

interface SelectedOption {
  text: unknown;
  value: string;
  description?: unknown;
}

const TITLE_MAX = 24;

/** Slack's complaints about a modal view, with pointers under `/view`; empty when `views.open` would accept it. */
export function checkModalView(view: unknown): string[] {
  if (!isRecord(view)) return ['must provide an object [json-pointer:/view]'];
  const errors: string[] = [];
  if (view.type !== 'modal') errors.push('must be one of: modal [json-pointer:/view/type]');
  errors.push(...textObjectErrors(view.title, '/view/title', TITLE_MAX, true));
  for (const key of ['submit', 'close'] as const) {
    if (view[key] !== undefined) errors.push(...textObjectErrors(view[key], `/view/${key}`, TITLE_MAX, true));
  }
  errors.push(...stringLimit(view.callback_id, '/view/callback_id', 255));
  errors.push(...stringLimit(view.private_metadata, '/view/private_metadata', 3000));
  errors.push(...blockKitErrors(view.blocks, 'modal', '/view'));
  if (Array.isArray(view.blocks) && view.submit === undefined) {
    const input = view.blocks.findIndex((block) => isRecord(block) && block.type === 'input');
    if (input >= 0) {
      errors.push(
        `must define \`submit\` to use an \`input\` block in modals [json-pointer:/view/blocks/${input}/input]`,
      );
    }
  }
  return errors;
}

/** Slack gives every block a `block_id` and every interactive element an `action_id` when the sender did not. */
export function withGeneratedIds(blocks: readonly unknown[], newId: () => string): unknown[] {
  return blocks.map((block) => {
    if (!isRecord(block)) return block;
    const filled: Record<string, unknown> = { ...block, block_id: block.block_id ?? newId() };
    if (isRecord(block.element)) filled.element = withActionId(block.element, newId);
    if (isRecord(block.accessory)) filled.accessory = withActionId(block.accessory, newId);
    if (block.type === 'actions' && Array.isArray(block.elements)) {
      filled.elements = block.elements.map((element) =>
        isRecord(element) ? withActionId(element, newId) : element,
      );
    }
    return filled;
  });
}

/**
 * The `state.values` of a submission: every input block of the view, holding what `entered` says or the
 * element's initial value. Throws when the input could not have come from the view, or when Slack's client
 * would have refused to submit (a required input left empty).
 */
export function submissionState(
  viewId: string,
  blocks: readonly unknown[],
  entered: Readonly<Record<string, Readonly<Record<string, FakeViewValue>>>>,
): StateValues {
  const inputs = new Map<string, { actionId: string; element: Record<string, unknown>; optional: boolean }>();
  for (const block of blocks) {
    if (!isRecord(block) || block.type !== 'input' || !isRecord(block.element)) continue;
    inputs.set(String(block.block_id), {
      actionId: String(block.element.action_id),
      element: block.element,
      optional: block.optional === true,
    });
  }
  for (const [blockId, actions] of Object.entries(entered)) {
    const input = inputs.get(blockId);
    if (!input) {
      throw new Error(
        `view ${viewId} has no input block ${blockId}; its input blocks: ${[...inputs.keys()].join(', ')}`,
      );
    }
    for (const actionId of Object.keys(actions)) {
      if (actionId !== input.actionId) {
        throw new Error(
          `input block ${blockId} of view ${viewId} holds action_id ${input.actionId}, not ${actionId}`,
        );
      }
    }
  }
  const values: StateValues = {};
  for (const [blockId, input] of inputs) {
    const value = stateValue(viewId, blockId, input.element, entered[blockId]?.[input.actionId]);
    if (!input.optional && isEmpty(value)) {
      throw new Error(`Slack would not submit view ${viewId}: the required input ${blockId} is empty`);
    }
    values[blockId] = { [input.actionId]: value };
  }
  return values;
}

function stateValue(
  viewId: string,
  blockId: string,
  element: Record<string, unknown>,
  entered: FakeViewValue | undefined,
): StateValue {
  const where = `input ${blockId} of view ${viewId}`;
  if (entered !== undefined && entered.type !== element.type) {
    throw new Error(`${where} is a ${String(element.type)}, not a ${entered.type}`);
  }
  const options = Array.isArray(element.options) ? element.options.filter(isRecord) : [];
  const pick = (value: string, text?: string): SelectedOption => {
    const option = options.find((candidate) => candidate.value === value);
    if (!option) throw new Error(`${where} has no option with value ${value}`);
    const shown = isRecord(option.text) ? option.text.text : undefined;
    if (text !== undefined && text !== shown) {
      throw new Error(`option ${value} of ${where} reads ${String(shown)}, not ${text}`);
    }
    return selectedOption(option);
  };
  switch (element.type) {
    case 'plain_text_input': {
      const initial = typeof element.initial_value === 'string' ? element.initial_value : null;
      const value = entered?.type === 'plain_text_input' ? entered.value : initial;
      return { type: 'plain_text_input', value: value === '' ? null : value };
    }
    case 'static_select': {
      if (entered?.type === 'static_select') {
        const chosen = entered.selected_option;
        return { type: 'static_select', selected_option: chosen && pick(chosen.value, chosen.text) };
      }
      const initial = isRecord(element.initial_option) ? selectedOption(element.initial_option) : null;
      return { type: 'static_select', selected_option: initial };
    }
    case 'checkboxes': {
      if (entered?.type === 'checkboxes') {
        return { type: 'checkboxes', selected_options: entered.selected_options.map((o) => pick(o.value)) };
      }
      const initial = Array.isArray(element.initial_options) ? element.initial_options.filter(isRecord) : [];
      return { type: 'checkboxes', selected_options: initial.map(selectedOption) };
    }
    default:
      throw new Error(`the fake cannot fill ${where}: ${String(element.type)} elements are not modelled`);
  }
}

function selectedOption(option: Record<string, unknown>): SelectedOption {
  const selected: SelectedOption = { text: withEmoji(option.text), value: String(option.value) };
  if (option.description !== undefined) selected.description = withEmoji(option.description);
  return selected;
}

/** Slack echoes plain_text objects back with `emoji: true` when the sender left it out. */
export function withEmoji(text: unknown): unknown {
  if (!isRecord(text) || text.type !== 'plain_text' || text.emoji !== undefined) return text;
  return { ...text, emoji: true };
}

function isEmpty(value: StateValue): boolean {
  switch (value.type) {
    case 'plain_text_input':
      return value.value === null;
    case 'static_select':
      return value.selected_option === null;
    case 'checkboxes':
      return value.selected_options.length === 0;
  }
}

function withActionId(element: Record<string, unknown>, newId: () => string): Record<string, unknown> {
  return { ...element, action_id: element.action_id ?? newId() };
}

function stringLimit(value: unknown, pointer: string, max: number): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') return [`must provide a string [json-pointer:${pointer}]`];
  return value.length > max ? [tooLong(pointer, max)] : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
