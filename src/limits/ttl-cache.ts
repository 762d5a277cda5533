/**
 * A small read-through cache for the tenant gate: entries live at most `ttlMs` (by the caller's
 * clock), concurrent misses of one key share a single load, and the map is bounded.
 */
export interface Loaded<V> {
  value: V;
  /** Postgres statements the load sent (0 when served from memory). */
  queries: number;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; loadedAtMs: number }>();
  readonly #loads = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  async get(key: string, nowMs: number, load: () => Promise<Loaded<V>>): Promise<Loaded<V>> {
    const entry = this.#entries.get(key);
    if (entry && nowMs - entry.loadedAtMs < this.ttlMs) return { value: entry.value, queries: 0 };
    const pending = this.#loads.get(key);
    if (pending) return { value: await pending, queries: 0 };
    const loading = load();
    const shared = loading.then((loaded) => loaded.value);
    shared.catch(() => {});
    this.#loads.set(key, shared);
    try {
      const loaded = await loading;
      if (this.#entries.size >= this.maxEntries) this.#entries.clear();
      this.#entries.set(key, { value: loaded.value, loadedAtMs: nowMs });
      return loaded;
    } finally {
      this.#loads.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
