/** Insertion-ordered set that forgets its oldest entries beyond a capacity: memory for de-duplication. */
export class BoundedSet {
  private readonly entries = new Set<string>();
  constructor(private readonly capacity: number) {}

  /** Adds the value; false when it was already present. */
  add(value: string): boolean {
    if (this.entries.has(value)) return false;
    this.entries.add(value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.values().next().value as string);
    return true;
  }

  has(value: string): boolean {
    return this.entries.has(value);
  }

  delete(value: string): void {
    this.entries.delete(value);
  }
}
