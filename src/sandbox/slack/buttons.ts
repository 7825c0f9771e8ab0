import { createHash } from 'node:crypto';
import { isRecord } from './wire.js';

export interface FoundButton {
  readonly blockId: string;
  readonly element: Record<string, unknown>;
}

/** Buttons a person sees on a message: in actions blocks and as section accessories. */
export function findButtons(blocks: readonly unknown[], messageTs: string): FoundButton[] {
  const buttons: FoundButton[] = [];
  blocks.forEach((block, index) => {
    if (!isRecord(block)) return;
    // Slack fills in a block_id the sender left out, once, so every click on the block carries the same one.
    const blockId =
      typeof block.block_id === 'string'
        ? block.block_id
        : createHash('sha256').update(`${messageTs}/${index}`).digest('base64url').slice(0, 5);
    const elements = block.type === 'actions' && Array.isArray(block.elements) ? block.elements : [];
    const candidates = block.type === 'section' ? [block.accessory] : elements;
    for (const element of candidates) {
      if (isRecord(element) && element.type === 'button') buttons.push({ blockId, element });
    }
  });
  return buttons;
}
