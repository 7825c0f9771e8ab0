/**
 * Slack's Block Kit limits as the Web API enforces them, with its error strings: a message and a JSON pointer,
 * e.g. `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`. Slack reports every problem it
 * finds, so the checks collect rather than stop at the first.
 */

export type BlockKitSurface = 'message' | 'modal';

const MAX_BLOCKS: Readonly<Record<BlockKitSurface, number>> = { message: 50, modal: 100 };
const KNOWN_BLOCK_TYPES = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'video',
]);
const TEXT_TYPES = new Set(['plain_text', 'mrkdwn']);
const ID_MAX = 255;

export function checkBlockKit(blocks: unknown, surface: BlockKitSurface): string[] {
  return blockKitErrors(blocks, surface, '');
}

/** The same checks, with every pointer under `prefix` (views.open reports `/view/blocks/…`). */
export function blockKitErrors(blocks: unknown, surface: BlockKitSurface, prefix: string): string[] {
  const checker = new Checker();
  checker.blocks(blocks, surface, `${prefix}/blocks`);
  return checker.errors;
}

/** A text object (`plain_text` or `mrkdwn`) at `pointer`; `max` is the limit on its `text`. */
export function textObjectErrors(
  value: unknown,
  pointer: string,
  max: number,
  plainTextOnly = false,
): string[] {
  const checker = new Checker();
  checker.text(value, pointer, max, plainTextOnly);
  return checker.errors;
}

export function tooLong(pointer: string, max: number): string {
  return `must be less than ${max + 1} characters [json-pointer:${pointer}]`;
}

class Checker {
  readonly errors: string[] = [];
  private readonly blockIds = new Set<string>();
  /** Slack wants an action_id unique among the elements of its block, not across the message or view. */
  private actionIds = new Set<string>();

  blocks(blocks: unknown, surface: BlockKitSurface, pointer: string): void {
    if (!Array.isArray(blocks)) {
      this.fail('must provide an array', pointer);
      return;
    }
    const max = MAX_BLOCKS[surface];
    if (blocks.length > max) this.fail(`no more than ${max} items allowed`, pointer);
    blocks.forEach((block, index) => this.block(block, `${pointer}/${index}`));
  }

  text(value: unknown, pointer: string, max: number, plainTextOnly = false): void {
    if (!isRecord(value)) {
      this.fail('must provide an object', pointer);
      return;
    }
    const allowed = plainTextOnly ? value.type === 'plain_text' : TEXT_TYPES.has(String(value.type));
    if (!allowed) {
      this.fail(`must be one of: ${plainTextOnly ? 'plain_text' : 'plain_text, mrkdwn'}`, `${pointer}/type`);
    }
    if (typeof value.text !== 'string') {
      this.fail('must provide a string', `${pointer}/text`);
      return;
    }
    if (value.text.length === 0) this.fail('must be more than 0 characters', `${pointer}/text`);
    this.length(value.text, `${pointer}/text`, max);
  }

  private block(block: unknown, pointer: string): void {
    if (!isRecord(block)) {
      this.fail('must provide an object', pointer);
      return;
    }
    const type = typeof block.type === 'string' ? block.type : '';
    if (!KNOWN_BLOCK_TYPES.has(type)) {
      this.fail(`unsupported type: ${type}`, `${pointer}/type`);
      return;
    }
    this.uniqueId(block.block_id, `${pointer}/block_id`, this.blockIds, 'block_id');
    this.actionIds = new Set<string>();
    switch (type) {
      case 'section':
        this.section(block, pointer);
        break;
      case 'header':
        this.text(block.text, `${pointer}/text`, 150, true);
        break;
      case 'context':
        this.context(block, pointer);
        break;
      case 'actions':
        this.items(block.elements, `${pointer}/elements`, 25, (element, at) => this.element(element, at));
        break;
      case 'input':
        this.text(block.label, `${pointer}/label`, 2000, true);
        this.element(block.element, `${pointer}/element`);
        break;
      default:
        break;
    }
  }

  private section(block: Record<string, unknown>, pointer: string): void {
    if (block.text !== undefined) this.text(block.text, `${pointer}/text`, 3000);
    if (block.fields !== undefined) {
      this.items(block.fields, `${pointer}/fields`, 10, (field, at) => this.text(field, at, 2000));
    }
    if (block.accessory !== undefined) this.element(block.accessory, `${pointer}/accessory`);
  }

  private context(block: Record<string, unknown>, pointer: string): void {
    this.items(block.elements, `${pointer}/elements`, 10, (element, at) => {
      if (isRecord(element) && TEXT_TYPES.has(String(element.type))) this.text(element, at, 3000);
    });
  }

  private element(element: unknown, pointer: string): void {
    if (!isRecord(element)) {
      this.fail('must provide an object', pointer);
      return;
    }
    this.uniqueId(element.action_id, `${pointer}/action_id`, this.actionIds, 'action_id');
    switch (element.type) {
      case 'button':
        this.text(element.text, `${pointer}/text`, 75, true);
        this.optionalLength(element.value, `${pointer}/value`, 2000);
        this.optionalLength(element.url, `${pointer}/url`, 3000);
        break;
      case 'static_select':
        this.items(element.options, `${pointer}/options`, 100, (option, at) => this.option(option, at));
        break;
      case 'plain_text_input':
        this.optionalLength(element.initial_value, `${pointer}/initial_value`, 3000);
        break;
      default:
        break;
    }
  }

  private option(option: unknown, pointer: string): void {
    if (!isRecord(option)) {
      this.fail('must provide an object', pointer);
      return;
    }
    this.text(option.text, `${pointer}/text`, 75);
    if (typeof option.value !== 'string') this.fail('must provide a string', `${pointer}/value`);
    else this.length(option.value, `${pointer}/value`, 150);
  }

  private items(
    value: unknown,
    pointer: string,
    max: number,
    each: (item: unknown, pointer: string) => void,
  ): void {
    if (!Array.isArray(value)) {
      this.fail('must provide an array', pointer);
      return;
    }
    if (value.length > max) this.fail(`no more than ${max} items allowed`, pointer);
    value.forEach((item, index) => each(item, `${pointer}/${index}`));
  }

  private uniqueId(value: unknown, pointer: string, seen: Set<string>, name: string): void {
    if (value === undefined) return;
    if (typeof value !== 'string') {
      this.fail('must provide a string', pointer);
      return;
    }
    this.length(value, pointer, ID_MAX);
    if (seen.has(value)) this.fail(`duplicate ${name}: ${value}`, pointer);
    seen.add(value);
  }

  private optionalLength(value: unknown, pointer: string, max: number): void {
    if (value === undefined) return;
    if (typeof value !== 'string') this.fail('must provide a string', pointer);
    else this.length(value, pointer, max);
  }

  private length(value: string, pointer: string, max: number): void {
    if (value.length > max) this.errors.push(tooLong(pointer, max));
  }

  private fail(message: string, pointer: string): void {
    this.errors.push(`${message} [json-pointer:${pointer}]`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
