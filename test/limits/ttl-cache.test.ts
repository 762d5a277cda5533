import { describe, expect, it } from "vitest";
import { type Loaded, TtlCache } from "../../src/limits/ttl-cache";

/** A load that counts its calls and resolves when told to. */
function controlledLoad() {
  let calls = 0;
  let release: ((value: Loaded<string>) => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  const load = () => {
    calls++;
    return new Promise<Loaded<string>>((resolve, reject) => {
      release = resolve;
      fail = reject;
    });
  };
  return {
    load,
    calls: () => calls,
    resolve: (value: string) => release?.({ value, queries: 1 }),
    reject: () => fail?.(new Error("down")),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("TtlCache refresh ahead", () => {
  it("answers from memory past refreshAfterMs while one background load replaces the entry", async () => {
    const cache = new TtlCache<string>(60_000, 4, 45_000);
    const first = controlledLoad();
    const loading = cache.get("k", 0, first.load);
    first.resolve("v1");
    expect(await loading).toEqual({ value: "v1", queries: 1 });

    const refresh = controlledLoad();
    expect(await cache.get("k", 30_000, refresh.load)).toEqual({ value: "v1", queries: 0 });
    expect(refresh.calls()).toBe(0);
    // Past 45 s: the old value at once, and exactly one refresh for any number of callers.
    expect(await cache.get("k", 46_000, refresh.load)).toEqual({ value: "v1", queries: 0 });
    expect(await cache.get("k", 47_000, refresh.load)).toEqual({ value: "v1", queries: 0 });
    expect(refresh.calls()).toBe(1);
    refresh.resolve("v2");
    await settle();
    // The refreshed entry counts from when its load started (46 s): no new load before 91 s.
    const never = controlledLoad();
    expect(await cache.get("k", 90_000, never.load)).toEqual({ value: "v2", queries: 0 });
    expect(never.calls()).toBe(0);
  });

  it("keeps the old entry until ttlMs when a refresh fails, then loads while the caller waits", async () => {
    const cache = new TtlCache<string>(60_000, 4, 45_000);
    const first = controlledLoad();
    const loading = cache.get("k", 0, first.load);
    first.resolve("v1");
    await loading;
    const failing = controlledLoad();
    expect((await cache.get("k", 50_000, failing.load)).value).toBe("v1");
    failing.reject();
    await settle();
    const failingAgain = controlledLoad();
    expect((await cache.get("k", 55_000, failingAgain.load)).value).toBe("v1");
    expect(failingAgain.calls()).toBe(1);
    failingAgain.reject();
    await settle();
    const blocking = controlledLoad();
    const waited = cache.get("k", 61_000, blocking.load);
    blocking.resolve("v3");
    expect(await waited).toEqual({ value: "v3", queries: 1 });
  });

  it("never stores what a load read before clear() (an invalidation wins over a racing refresh)", async () => {
    const cache = new TtlCache<string>(60_000, 4, 45_000);
    const first = controlledLoad();
    const loading = cache.get("k", 0, first.load);
    first.resolve("before");
    await loading;
    const refresh = controlledLoad();
    await cache.get("k", 50_000, refresh.load);
    cache.clear();
    refresh.resolve("stale");
    await settle();
    const after = controlledLoad();
    const next = cache.get("k", 51_000, after.load);
    expect(after.calls()).toBe(1);
    after.resolve("fresh");
    expect(await next).toEqual({ value: "fresh", queries: 1 });
  });
});
