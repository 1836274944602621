/**
 * One copy of each repeated string across a whole discovery. JSON.parse gives every occurrence its own string: at
 * 20k images an image's name arrives in the listing and the status of both sites, and a replaying image's
 * description (~250 characters of JSON) comes once from its own site and once more as the peer site's view of it.
 * The pool readers of one discovery share a StringPool, so the model keeps one copy of each. Strings are immutable,
 * so sharing is safe; the pool itself is dropped with the discovery.
 */
export class StringPool {
  private readonly map = new Map<string, string>();
  constructor(
    /** Longer strings are unique in practice (and cost more to hash than they save). */
    private readonly maxLength = 1024,
    /** A bound on the pool's own size for outputs with nothing repeated. */
    private readonly maxEntries = 500_000,
  ) {}

  get size(): number {
    return this.map.size;
  }

  intern(s: string): string {
    if (s.length > this.maxLength) return s;
    const seen = this.map.get(s);
    if (seen !== undefined) return seen;
    if (this.map.size < this.maxEntries) this.map.set(s, s);
    return s;
  }
}
