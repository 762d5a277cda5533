/**
 * Property-based fuzz of every served route (issue 14, item 4): random methods, every route
 * template of /openapi.json with random path parameters, random paths, junk headers and bodies,
 * unauthenticated and as registered tenants. Properties (harness.ts): no 5xx but the documented
 * ones, every error body one of the documented JSON shapes, no stack trace or internals, no secret,
 * token or claimed email in any response or log line, and a request log line for every response.
 * Bounded runs with a fixed seed (FUZZ_SEED in arbitraries.ts) so failures replay.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { signature, WEBHOOK } from "../support/stripe";
import {
  bodyArb,
  documentedBodyArb,
  emailArb,
  type HeaderPair,
  headersArb,
  jsonValueArb,
  junkAuthorizationArb,
  junkLicenseArb,
  methodArb,
  type RouteTemplate,
  randomPathArb,
  stringArb,
  templatePathArb,
  UNICODE_HEADER_VALUES,
} from "./arbitraries";
import {
  type AuthSpec,
  assertProperty,
  createContext,
  createPool,
  exchangeAll,
  type FuzzContext,
  LogCapture,
  loadRoutes,
  logProblems,
  type PoolTenant,
  type RequestSpec,
  report,
} from "./harness";

/** Runs per property, each a batch of up to BATCH concurrent requests (sized for ~15 s of the suite's budget). */
const RUNS = { unauthenticated: 25, authenticated: 35, randomPaths: 12, webhook: 10 } as const;
const BATCH = 4;

/** The Stripe object fields the webhook reads (src/features/billing/events.ts). */
const STRIPE_OBJECT_FIELDS: Record<string, string | undefined> = {
  id: "string",
  customer: "string",
  customer_email: "string",
  customer_details: "object",
  custom_fields: "array",
  payment_status: "string",
  payment_intent: "string",
  amount: "integer",
  amount_refunded: "integer",
  refunded: "boolean",
  refunds: "object",
  charge: "string",
  status: "string",
};

const logs = new LogCapture();
let ctx: FuzzContext;
let routes: RouteTemplate[];

beforeAll(async () => {
  logs.start();
  const pool = await createPool(5, 3);
  ctx = createContext(pool, logs);
  routes = await loadRoutes();
});

afterAll(() => logs.stop());

/** The documented method most of the time, any method otherwise. */
const methodFor = (route: RouteTemplate) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: methodArb });

const realIds = () => [...ctx.pool.tenants.map((t) => t.id), "sys_sqli_union_select", "dyn_x", "audit_x"];

const tenantAuthArb: () => fc.Arbitrary<AuthSpec> = () =>
  fc.record({
    kind: fc.constant("tenant" as const),
    index: fc.nat({ max: ctx.pool.tenants.length - 1 }),
    bare: fc.constantFrom(false, false, false, true),
    license: fc.constantFrom("own", "own", "own", "none", "foreign", "junk"),
    junkLicense: junkLicenseArb,
  });

const unauthenticatedArb: () => fc.Arbitrary<AuthSpec> = () =>
  fc.oneof(
    fc.constant<AuthSpec>({ kind: "none" }),
    junkAuthorizationArb(
      ctx.pool.tenants.map((t) => t.id),
      ctx.pool.fakeIds,
    ).map((value): AuthSpec => ({ kind: "raw", value })),
  );

const forwarded = (r: RouteTemplate) => r.tags.includes("Orchestrator");

/** A route template; the ~100 forwarded orchestrator templates (all alike) get a fifth of the draws. */
/** A webhook delivery of `payload`, signed with the test secret. */
async function signedWebhook(payload: string): Promise<RequestSpec> {
  return {
    method: "POST",
    path: WEBHOOK,
    headers: [
      ["Content-Type", "application/json"],
      ["Stripe-Signature", await signature(payload)],
    ],
    body: { kind: "text", text: payload },
    auth: { kind: "none" },
  };
}

function routeArb(pick: (r: RouteTemplate) => boolean): fc.Arbitrary<RouteTemplate> {
  const own = routes.filter((r) => pick(r) && !forwarded(r));
  const relayed = routes.filter((r) => pick(r) && forwarded(r));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...own) },
    { weight: 1, arbitrary: fc.constantFrom(...relayed) },
  );
}

function templateSpecArb(
  pick: (r: RouteTemplate) => boolean,
  auth: () => fc.Arbitrary<AuthSpec>,
  junkLicense: boolean,
) {
  return routeArb(pick).chain((route) =>
    fc.record<RequestSpec>({
      method: methodFor(route),
      path: templatePathArb(route, realIds()),
      headers: headersArb(ctx.pool.headerEmails, { junkLicense }),
      body: bodyArb(route.fields, ctx.pool.bodyEmails),
      auth: auth(),
    }),
  );
}

describe("fuzz: every route", () => {
  it("lists the served routes from /openapi.json", () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.some((r) => r.path === "/api/v1/mcp-server")).toBe(true);
    expect(routes.some((r) => r.params.length > 0)).toBe(true);
  });

  it("answers unauthenticated junk within the contract", { timeout: 60_000 }, async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          templateSpecArb(() => true, unauthenticatedArb, true),
          { minLength: 1, maxLength: BATCH },
        ),
        async (specs) => {
          await exchangeAll(ctx, specs);
        },
      ),
      RUNS.unauthenticated,
    );
  });

  it("answers a registered tenant's junk within the contract (past authentication)", { timeout: 60_000 }, async () => {
    await assertProperty(
      fc.asyncProperty(
        fc.array(
          templateSpecArb((r) => r.authenticated, tenantAuthArb, false),
          { minLength: 1, maxLength: BATCH },
        ),
        async (specs) => {
          await exchangeAll(ctx, specs);
        },
      ),
      RUNS.authenticated,
    );
  });

  it("answers random paths and methods within the contract", { timeout: 60_000 }, async () => {
    const specArb = fc.record<RequestSpec>({
      method: methodArb,
      path: randomPathArb,
      headers: headersArb(ctx.pool.headerEmails, { junkLicense: true }),
      body: bodyArb({}, ctx.pool.bodyEmails),
      auth: fc.oneof(tenantAuthArb(), unauthenticatedArb()),
    });
    await assertProperty(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: BATCH }), async (specs) => {
        await exchangeAll(ctx, specs);
      }),
      RUNS.randomPaths,
    );
  });

  it("answers signed Stripe events with junk objects within the contract", { timeout: 60_000 }, async () => {
    // Past the signature: the webhook's own "authentication" is the signing secret the tests hold.
    const tenantIdArb = fc.oneof(
      fc.constantFrom(...realIds()),
      fc.uuid().map((u) => `cs_${u}`),
      stringArb,
    );
    const objectArb = fc
      .tuple(
        documentedBodyArb(STRIPE_OBJECT_FIELDS, ctx.pool.headerEmails),
        fc.record(
          {
            id: fc.oneof(
              fc.uuid().map((u) => `cs_test_${u}`),
              stringArb,
            ),
            payment_status: fc.constantFrom("paid", "unpaid", "no_payment_required"),
            custom_fields: fc.array(
              fc.record({
                key: fc.constantFrom("tenantid", "x"),
                type: fc.constantFrom("text", "dropdown"),
                text: fc.record({ value: tenantIdArb }),
              }),
              { maxLength: 2 },
            ),
            customer_details: fc.record({ email: emailArb(ctx.pool.headerEmails) }),
            payment_intent: fc.oneof(
              fc.uuid().map((u) => `pi_${u}`),
              stringArb,
            ),
            amount: fc.integer({ min: -1, max: 2_000 }),
            amount_refunded: fc.integer({ min: -1, max: 2_000 }),
          },
          { requiredKeys: [] },
        ),
      )
      .map(([junk, shaped]) => ({ ...junk, ...shaped }));
    const eventArb = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          id: fc.oneof(
            fc.uuid().map((u) => `evt_${u}`),
            stringArb,
          ),
          type: fc.oneof(
            fc.constantFrom(
              "checkout.session.completed",
              "checkout.session.async_payment_succeeded",
              "charge.refunded",
              "charge.dispute.created",
              "charge.dispute.closed",
            ),
            stringArb,
          ),
          data: fc.oneof(
            { weight: 5, arbitrary: fc.record({ object: objectArb }) },
            { weight: 1, arbitrary: jsonValueArb },
          ),
        }),
      },
      { weight: 1, arbitrary: jsonValueArb },
    );
    await assertProperty(
      // KNOWN BUG (pinned below, "known bugs"): ids over 255 characters answer 500; none are sent here.
      fc.asyncProperty(
        fc.array(
          eventArb.filter((e) => !/"[^"]{256,}"/.test(JSON.stringify(e) ?? "")),
          { minLength: 1, maxLength: 2 },
        ),
        async (events) => {
          const specs = await Promise.all(events.map((event) => signedWebhook(JSON.stringify(event) ?? "null")));
          await exchangeAll(ctx, specs);
        },
      ),
      RUNS.webhook,
    );
  });

  it("answers 10,000-level nesting in the body of every route that takes one", { timeout: 60_000 }, async () => {
    // Every non-GET route but the forwarded ones (one of those stands for all): the nesting goes in
    // the first free-form (object, array or untyped) documented field, else it is the whole body.
    const targets = [
      ...routes.filter((r) => r.method !== "GET" && !forwarded(r)),
      ...routes.filter(forwarded).slice(0, 1),
    ];
    const specs = targets.map((route, i): RequestSpec => {
      const field = Object.entries(route.fields).find(
        ([, type]) => type !== "string" && type !== "number" && type !== "integer" && type !== "boolean",
      )?.[0];
      const [path] = fc.sample(templatePathArb({ ...route, query: [] }, realIds()), { seed: i, numRuns: 1 });
      return {
        method: route.method,
        path: path ?? route.path,
        headers: [["Content-Type", "application/json"]],
        body: { kind: "deep", depth: 10_000, container: i % 2 === 0 ? "array" : "object", field },
        auth: route.authenticated ? { kind: "tenant", index: i, bare: false, license: "own" } : { kind: "none" },
      };
    });
    expect(specs.length).toBeGreaterThan(20);
    for (let i = 0; i < specs.length; i += 8) await exchangeAll(ctx, specs.slice(i, i + 8));
  });

  it("answers a 10 MB body on a few routes with 413", { timeout: 60_000 }, async () => {
    // Declared length only: a body streamed without one is cut off by the Worker too, but workerd
    // then prints the aborted upload as an uncaught "Network connection lost" on the sending side.
    const specs = [
      "/api/v1/register",
      "/api/v1/mcp-server",
      "/api/v1/mcp/check-input",
      "/api/v1/billing/stripe-webhook",
    ].map(
      (path): RequestSpec => ({
        method: "POST",
        path,
        headers: [["Content-Type", "application/json"]],
        body: { kind: "text", text: "a".repeat(10 * 1024 * 1024) },
        auth: { kind: "tenant", index: 0, bare: false, license: "own" },
      }),
    );
    const exchanges = await exchangeAll(ctx, specs);
    expect(exchanges.map((ex) => ex.status)).toEqual([413, 413, 413, 413]);
  });

  it("answers a statement just under the 1 MiB cap in bounded time", { timeout: 60_000 }, async () => {
    // Every system policy's regular expression runs over the whole text: a CPU-time probe (the MCP
    // check_policy, check-output and pre-check share the engine; each costs another second).
    const unit = "rm -rf / ssn 123-45-6789 user@example.com 4111 1111 1111 1111 DROP TABLE users; ' OR 1=1 -- ";
    const text = unit.repeat(Math.floor(1_000_000 / unit.length));
    const tenant = { kind: "tenant", index: 1, bare: false, license: "own" } as const;
    const post = (path: string, value: unknown): RequestSpec => ({
      method: "POST",
      path,
      headers: [["Content-Type", "application/json"]],
      body: { kind: "json", value },
      auth: tenant,
    });
    const exchanges = await exchangeAll(ctx, [
      post("/api/v1/mcp/check-input", { connector_type: "claude_code.Bash", statement: text }),
    ]);
    for (const ex of exchanges) expect(ex.ms, `${ex.spec.path} took ${ex.ms} ms`).toBeLessThan(10_000);
  });

  it("answers Unicode header values within the contract", { timeout: 60_000 }, async () => {
    // Every value in every free-text header of two requests (workerd warns once per header and request).
    const all = UNICODE_HEADER_VALUES.join(" ");
    const headers: HeaderPair[] = [
      ["Content-Type", `application/json; x=${all}`],
      ["X-Axonflow-Client", `${all}/1.0`],
      ["X-User-Email", `${UNICODE_HEADER_VALUES.join("")}@example.com`],
      ["Idempotency-Key", all],
    ];
    const specs: RequestSpec[] = [
      {
        method: "POST",
        path: "/api/v1/mcp/check-input",
        headers,
        body: { kind: "json", value: { connector_type: all, statement: all } },
        auth: { kind: "tenant", index: 2, bare: false, license: "junk", junkLicense: all },
      },
      {
        method: "POST",
        path: "/api/v1/register",
        headers,
        body: { kind: "json", value: { label: all } },
        auth: { kind: "raw", value: `Basic ${all}` },
      },
    ];
    await exchangeAll(ctx, specs);
  });

  it("logs no secret, token or full email — and the capture sees Worker and Durable Object lines", async () => {
    // A governed request leaves usage in its tenant's gate; the gate's alarm writes it to Postgres
    // and logs `gate_flushed` from inside the Durable Object.
    const tenant = ctx.pool.tenants[0] as PoolTenant;
    await exchangeAll(ctx, [
      {
        method: "POST",
        path: "/api/v1/governance/explain",
        headers: [],
        body: { kind: "none" },
        auth: { kind: "tenant", index: 0, bare: false, license: "own" },
      },
    ]);
    const gates = (env as Env).TENANT_GATE;
    expect(await runDurableObjectAlarm(gates.get(gates.idFromName(tenant.id)))).toBe(true);
    // Every pool tenant's outbox must flush too (a record Postgres refuses would fail it on every run).
    await Promise.all(ctx.pool.tenants.slice(1).map((t) => runDurableObjectAlarm(gates.get(gates.idFromName(t.id)))));
    expect(logs.lines.some((line) => line.includes('"event":"gate_flushed"') && line.includes(tenant.id))).toBe(true);
    expect(logs.lines.filter((line) => line.includes('"event":"request"')).length).toBeGreaterThanOrEqual(ctx.requests);
    expect(logProblems(logs.lines, ctx.forbiddenInLogs, ctx.emailsSent)).toEqual([]);
    // Coverage: the fuzz reached handlers past authentication, not only 401s.
    const statuses = Object.fromEntries(ctx.statuses);
    expect(Object.keys(statuses).filter((s) => s.startsWith("2")).length, JSON.stringify(statuses)).toBeGreaterThan(0);
    report(ctx);
  });
});

/**
 * Bugs the fuzz found in files this suite may not change, reported to their owners. Each pins its
 * input and passes while the bug is there; once fixed it fails — then turn `it.fails` into `it`
 * and drop the matching exclusion from the generators. They run after the log check above, which
 * their own log lines would otherwise fail.
 */
describe("fuzz: known bugs (reported)", () => {
  it.fails("an email address used as a Basic user name is logged whole (src/auth/middleware.ts, auth_rejected)", async () => {
    const email = ctx.pool.bodyEmails[0] as string;
    await exchangeAll(ctx, [
      {
        method: "POST",
        path: "/api/v1/governance/explain",
        headers: [],
        body: { kind: "none" },
        auth: { kind: "raw", value: `Basic ${btoa(`${email}:${"0".repeat(32)}`)}` },
      },
    ]);
  });

  it.fails("a signed Stripe event with an id over 255 characters answers 500 (src/features/billing)", async () => {
    const payload = JSON.stringify({
      id: "evt_long",
      type: "charge.dispute.created",
      data: { object: { id: "dp_1", charge: "c".repeat(256), payment_intent: "pi_long" } },
    });
    await exchangeAll(ctx, [await signedWebhook(payload)]);
  });
});
