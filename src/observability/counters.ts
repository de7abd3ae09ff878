/**
 * Monotonic counters with one optional label, cheap enough for the per-packet path (a Map
 * lookup and an add). Tests read them with `get`.
 */
export class Counters<Name extends string> {
  private readonly values = new Map<string, number>();

  increment(name: Name, label?: string, by = 1): void {
    const key = label === undefined ? name : `${name}{${label}}`;
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(name: Name, label?: string): number {
    return this.values.get(label === undefined ? name : `${name}{${label}}`) ?? 0;
  }
}
