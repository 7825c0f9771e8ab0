/**
 * A message as a person reads it in Slack, as plain lines: what the blocks show (or the `text` when there are
 * none), mentions and links decoded, buttons as `[Label]`. Used to print and assert conversations.
 */

/** The display name for a user id, or undefined when unknown (the mention then shows the id). */
export type UserLookup = (userId: string) => string | undefined;

export interface RenderableMessage {
  text?: string | undefined;
  blocks?: readonly unknown[] | undefined;
}

export function renderMessage(message: RenderableMessage, users?: UserLookup): string {
  const blocks = message.blocks ?? [];
  if (blocks.length === 0) return decodeMrkdwn(message.text ?? '', users);
  return blocks
    .map((block) => renderBlock(block, users))
    .filter((lines) => lines !== '')
    .join('\n');
}

/** Slack's mrkdwn escapes and angle-bracket tokens, as the client shows them. */
export function decodeMrkdwn(text: string, users?: UserLookup): string {
  const decoded = text.replace(/<([^<>]*)>/g, (_whole, token: string) => decodeToken(token, users));
  return decodeEntities(decoded);
}

function decodeToken(token: string, users: UserLookup | undefined): string {
  const bar = token.indexOf('|');
  const target = bar === -1 ? token : token.slice(0, bar);
  const label = bar === -1 ? undefined : token.slice(bar + 1);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `@${users?.(id) ?? label ?? id}`;
  }
  if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
  if (target.startsWith('!')) {
    const special = target.slice(1);
    // Group mentions carry their handle, `@` included, as the label.
    if (special.startsWith('subteam^')) return label ?? `@${special.slice('subteam^'.length)}`;
    return label ?? `@${special}`;
  }
  const url = decodeEntities(target);
  if (label === undefined || label === '') return url;
  return `${label} (${url})`;
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function renderBlock(block: unknown, users: UserLookup | undefined): string {
  if (!isRecord(block)) return '';
  switch (block.type) {
    case 'section':
      return renderSection(block, users);
    case 'header':
      return textOf(block.text, users);
    case 'divider':
      return '---';
    case 'context':
      return elementsOf(block)
        .map((element) => textOf(element, users))
        .filter((text) => text !== '')
        .join('  ');
    case 'actions':
      return elementsOf(block)
        .map((element) => renderElement(element, users))
        .filter((text) => text !== '')
        .join(' ');
    case 'input':
      return `${textOf(block.label, users)}: ${renderElement(block.element, users)}`;
    default:
      return '';
  }
}

function renderSection(block: Record<string, unknown>, users: UserLookup | undefined): string {
  const lines: string[] = [];
  const text = textOf(block.text, users);
  if (text !== '') lines.push(text);
  if (Array.isArray(block.fields)) {
    for (const field of block.fields) {
      const fieldText = textOf(field, users);
      if (fieldText !== '') lines.push(fieldText);
    }
  }
  const accessory = renderElement(block.accessory, users);
  if (accessory !== '') lines.push(accessory);
  return lines.join('\n');
}

function renderElement(element: unknown, users: UserLookup | undefined): string {
  if (!isRecord(element)) return '';
  switch (element.type) {
    case 'button':
      return `[${textOf(element.text, users)}]`;
    case 'static_select':
    case 'plain_text_input':
      return `[${textOf(element.placeholder, users) || '…'}]`;
    case 'checkboxes':
      return Array.isArray(element.options)
        ? element.options
            .map((option) => `[ ] ${isRecord(option) ? textOf(option.text, users) : ''}`)
            .join(' ')
        : '';
    default:
      return '';
  }
}

function elementsOf(block: Record<string, unknown>): unknown[] {
  return Array.isArray(block.elements) ? block.elements : [];
}

/** plain_text is shown as written; only mrkdwn carries tokens and escapes. */
function textOf(value: unknown, users: UserLookup | undefined): string {
  if (!isRecord(value) || typeof value.text !== 'string') return '';
  return value.type === 'mrkdwn' ? decodeMrkdwn(value.text, users) : value.text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
