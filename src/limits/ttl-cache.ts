/**
 * A small read-through cache for the tenant gate: entries live at most `ttlMs` (by the caller's
 * clock), concurrent misses of one key share a single load, and the map is bounded. An entry older
 * than `refreshAfterMs` is still answered from memory while one background load replaces it, so a
 * busy tenant never waits on Postgres; only an entry past `ttlMs` (an idle tenant, or a refresh
 * that kept failing) is loaded while the caller waits.
 */
export interface Loaded<V> {
  value: V;
  /** Postgres statements the load sent (0 when served from memory). */
  queries: number;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; loadedAtMs: number }>();
  readonly #loads = new Map<string, Promise<V>>();
  /** Bumped by clear(): a load that started before it must not store what it read. */
  #generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly refreshAfterMs = ttlMs,
  ) {}

  async get(key: string, nowMs: number, load: () => Promise<Loaded<V>>): Promise<Loaded<V>> {
    const entry = this.#entries.get(key);
    if (entry && nowMs - entry.loadedAtMs < this.ttlMs) {
      if (nowMs - entry.loadedAtMs >= this.refreshAfterMs && !this.#loads.has(key)) {
        this.#start(key, nowMs, load).catch(() => {}); // a failed refresh leaves the entry until ttlMs
      }
      return { value: entry.value, queries: 0 };
    }
    const pending = this.#loads.get(key);
    if (pending) return { value: await pending, queries: 0 };
    return this.#start(key, nowMs, load);
  }

  /** Runs `load` as the one load of `key`, storing its value unless clear() ran meanwhile. */
  async #start(key: string, nowMs: number, load: () => Promise<Loaded<V>>): Promise<Loaded<V>> {
    const generation = this.#generation;
    const loading = load();
    const shared = loading.then((loaded) => loaded.value);
    shared.catch(() => {});
    this.#loads.set(key, shared);
    try {
      const loaded = await loading;
      if (generation === this.#generation) {
        if (this.#entries.size >= this.maxEntries) this.#entries.clear();
        this.#entries.set(key, { value: loaded.value, loadedAtMs: nowMs });
      }
      return loaded;
    } finally {
      if (this.#loads.get(key) === shared) this.#loads.delete(key);
    }
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#loads.clear();
  }
}
