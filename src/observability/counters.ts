/**
 * Monotonic counters with one optional label, cheap enough for the per-packet path (a Map
 * lookup and an add). Tests read them with `get`; the metrics read them at scrape time.
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

  /** Every label of `name` with its count (at scrape time, not on the packet path). */
  labelled(name: Name): [label: string, value: number][] {
    const prefix = `${name}{`;
    const out: [string, number][] = [];
    for (const [key, value] of this.values) if (key.startsWith(prefix)) out.push([key.slice(prefix.length, -1), value]);
    return out;
  }
}
