/**
 * Insertion-ordered set that forgets its oldest entries beyond a capacity: memory for de-duplication.
 *
 * A ring of the last `capacity` insertions says which entry to forget. (Forgetting `set.values().next()` walks the
 * holes earlier deletions left in the set, about a microsecond per webhook once it is full.)
 */
export class BoundedSet {
  /** Each entry with the number of its insertion, so a slot of the ring forgets only the insertion it recorded. */
  private readonly entries = new Map<string, number>();
  private readonly ring: (string | undefined)[];
  private inserted = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<string | undefined>(capacity);
  }

  /** Adds the value; false when it was already present. */
  add(value: string): boolean {
    if (this.entries.has(value)) return false;
    const number = this.inserted++;
    const slot = number % this.capacity;
    const oldest = this.ring[slot];
    if (oldest !== undefined && this.entries.get(oldest) === number - this.capacity)
      this.entries.delete(oldest);
    this.ring[slot] = value;
    this.entries.set(value, number);
    return true;
  }

  has(value: string): boolean {
    return this.entries.has(value);
  }

  delete(value: string): void {
    this.entries.delete(value);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Sets `key` in `map` as its newest entry, forgetting the oldest entries beyond `limit`. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value as K);
}
