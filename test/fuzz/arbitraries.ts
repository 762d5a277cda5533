/**
 * fast-check arbitraries for the route and MCP fuzz tests (issue 14, item 4). Requests are plain
 * data (printable counterexamples); large or derived parts — deep nesting, 10 MB bodies, the real
 * credentials of the tenant pool — are descriptors the harness materialises at send time.
 */
import fc from "fast-check";

/**
 * One fixed seed for every property, so a failure replays exactly: the failure message starts with
 * it and the counterexample's path. The Worker isolate sees no host environment, so exploring
 * other seeds means editing this line (e.g. to Date.now()) for a local run.
 */
export const FUZZ_SEED = 14_052_026;

/** Multiplies every property's run count (1 in `npm test`; raise it with another seed for a deeper local hunt). */
export const FUZZ_SCALE = 1;

/** Print request counts, statuses and the slowest requests after each fuzz file (for tuning the budget). */
export const FUZZ_REPORT = false;

// ---- building blocks ----

/** Methods workerd's fetch can send; lower-case ones stay lower-case on the wire except the six fetch normalises. */
export const STANDARD_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"] as const;
/** Other method tokens workerd accepts (it refuses tokens it does not know, e.g. FOO or M-SEARCH). */
export const JUNK_METHODS = [
  "PROPFIND",
  "MKCOL",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
  "PURGE",
  "REPORT",
  "SEARCH",
  "ACL",
  "MERGE",
  "NOTIFY",
  "SUBSCRIBE",
  "QUERY",
  "patch",
  "get",
  "post",
  "delete",
] as const;

export const methodArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...STANDARD_METHODS) },
  { weight: 1, arbitrary: fc.constantFrom(...JUNK_METHODS) },
);

/** Strings of every Unicode plane (no lone surrogates: those cannot be UTF-8 encoded). */
export const unicodeArb = fc.string({ unit: "binary", maxLength: 40 });

/** Strings that tend to reach interesting code: policies, PII, SQL, paths, control characters. */
export const SPICY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0000\u0000\u0000",
  "\ud800",
  "\udfff\ud800",
  "\uffff",
  "\ufeff{}",
  "😀".repeat(50),
  "rm -rf /",
  "DROP TABLE users; --",
  "' OR 1=1 --",
  "SELECT * FROM users WHERE id = 1 UNION SELECT password FROM admin",
  "ssn 123-45-6789 card 4111 1111 1111 1111",
  "GB82WEST12345698765432",
  "../../etc/passwd",
  "..",
  "%00",
  "%",
  "%zz",
  "$\u007bjndi:ldap://x}",
  "<script>alert(1)</script>",
  "\\",
  '"',
  "null",
  "true",
  "0",
  "-1",
  "1e309",
  "9".repeat(400),
  "(a+)+$",
  "(?i)[",
  "a{99999}",
  "\\p{Foo}",
  "cs_00000000-0000-0000-0000-000000000000",
  "00000000-0000-0000-0000-000000000000",
  "2026-13-45T99:99:99Z",
  "2026-05-01T00:00:00Z",
  "1970-01-01T00:00:00Z",
  "9999-12-31T23:59:59Z",
  "dynamic-x",
  "static",
  "dynamic",
  "tenant",
  "system",
  "block",
  "critical",
  "claude_code.Bash",
  "cursor.Shell",
  "execute",
  "query",
  "rate-limit",
  "budget",
  "time-access",
  "role-access",
  "mcp",
  "connector",
] as const;

export const spicyStringArb = fc.constantFrom(...SPICY_STRINGS);

export const longStringArb = fc
  .tuple(fc.constantFrom("a", "é", "😀", "\u0000", "x y ", "%"), fc.integer({ min: 256, max: 70_000 }))
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

export const stringArb = fc.oneof(
  { weight: 4, arbitrary: spicyStringArb },
  { weight: 3, arbitrary: unicodeArb },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: longStringArb },
);

/** An email the fuzz sends; the harness checks none ever appears whole in a log line. */
export const emailArb = (pool: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pool) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.stringMatching(/^[a-z0-9._+-]{1,20}$/), fc.constantFrom("example.com", "example.org", "mail.example"))
        .map(([local, domain]) => `fuzz-${local}@${domain}`),
    },
    { weight: 1, arbitrary: fc.constantFrom(...pool).map((e) => `  ${e.toUpperCase()}  `) },
    { weight: 1, arbitrary: fc.constantFrom(...pool).map((e) => `${e}\u0000`) },
  );

/** Any JSON value, wrong types for most fields included. */
export const jsonValueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 3, arbitrary: stringArb },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.boolean() },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, -(2 ** 63), 1e300, 0.5, 86_401, 59),
      ),
    },
    { weight: 1, arbitrary: fc.array(tie("value"), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.oneof(stringArb, fc.constant("__proto__")), tie("value"), { maxKeys: 4 }),
    },
  ),
})).value;

/** A value of a JSON type other than `type` (the OpenAPI type of a documented field). */
export const wrongTypeArb = (type: string | undefined): fc.Arbitrary<unknown> => {
  const byType: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant([]),
      fc.constant({}),
      fc.array(stringArb, { maxLength: 3 }),
    ),
    number: fc.oneof(stringArb, fc.boolean(), fc.constant([1]), fc.constant({ n: 1 })),
    integer: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), stringArb, fc.boolean(), fc.constant(["1"])),
    boolean: fc.oneof(fc.constantFrom("true", "false", 1, 0), fc.constant([])),
    array: fc.oneof(stringArb, fc.integer(), fc.constant({ 0: "a" }), fc.array(jsonValueArb, { maxLength: 3 })),
    object: fc.oneof(stringArb, fc.integer(), fc.constant([]), fc.array(jsonValueArb, { maxLength: 3 })),
  };
  return (type ? byType[type] : undefined) ?? jsonValueArb;
};

// ---- bodies ----

export type BodySpec =
  | { kind: "none" }
  | { kind: "text"; text: string }
  | { kind: "json"; value: unknown }
  | { kind: "bytes"; bytes: number[] }
  /** `depth` nested arrays or objects, as the whole body or as the value of `field` in an object. */
  | { kind: "deep"; depth: number; container: "array" | "object"; field?: string; extra?: Record<string, unknown> };

export const invalidJsonArb = fc.oneof(
  fc.constantFrom(
    "{",
    "[",
    "}",
    '{"a":}',
    '{"a":1,}',
    "[1,2,]",
    "nul",
    "tru",
    "{'a':1}",
    '{"a":1} trailing',
    "// comment\n{}",
    '{"a":"\\x00"}',
    '{"a":"\\ud800"}',
    '"unterminated',
    "\u0000",
    "{\u0000}",
    "\ufeff{}",
    "NaN",
    "Infinity",
    "-",
    "1e99999",
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    "a=1&b=2",
    "--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--",
  ),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
);

export const nulBytesArb: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.constant<BodySpec>({ kind: "bytes", bytes: [0, 0, 0] }),
  fc.constant<BodySpec>({ kind: "text", text: '{"a":"\u0000"}' }),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }).map((bytes): BodySpec => ({ kind: "bytes", bytes })),
  // Invalid UTF-8 inside an otherwise valid JSON string.
  fc.constant<BodySpec>({
    kind: "bytes",
    bytes: [...new TextEncoder().encode('{"statement":"'), 0xc3, 0x28, 0xff, 0x22, 0x7d],
  }),
);

export const deepArb = (fields: readonly string[]): fc.Arbitrary<BodySpec> =>
  fc.record({
    kind: fc.constant("deep" as const),
    depth: fc.oneof(fc.constantFrom(10_000, 12_000), fc.integer({ min: 100, max: 12_000 })),
    container: fc.constantFrom("array" as const, "object" as const),
    field: fields.length > 0 ? fc.option(fc.constantFrom(...fields), { nil: undefined }) : fc.constant(undefined),
  });

/** Objects with documented field names: a random subset, each with a right- or wrong-typed value. */
export const documentedBodyArb = (
  fields: Readonly<Record<string, string | undefined>>,
  emails: readonly string[],
): fc.Arbitrary<Record<string, unknown>> => {
  const names = Object.keys(fields);
  if (names.length === 0) return fc.dictionary(stringArb, jsonValueArb, { maxKeys: 3 });
  const valueFor = (name: string): fc.Arbitrary<unknown> => {
    const type = fields[name];
    const right: fc.Arbitrary<unknown> =
      name.includes("email") && emails.length > 0
        ? emailArb(emails)
        : type === "string"
          ? stringArb
          : type === "integer" || type === "number"
            ? fc.oneof(fc.integer({ min: -10, max: 2000 }), fc.constantFrom(2 ** 53, -(2 ** 63), 1e308))
            : type === "boolean"
              ? fc.boolean()
              : type === "array"
                ? fc.array(jsonValueArb, { maxLength: 4 })
                : jsonValueArb;
    return fc.oneof({ weight: 3, arbitrary: right }, { weight: 2, arbitrary: wrongTypeArb(type) });
  };
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) record[name] = valueFor(name);
  return fc
    .tuple(
      fc.record(record, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 12 }), jsonValueArb, { maxKeys: 2 }),
    )
    .map(([known, unknown]) => ({ ...unknown, ...known }));
};

export const bodyArb = (
  fields: Readonly<Record<string, string | undefined>>,
  emails: readonly string[],
): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<BodySpec>({ kind: "none" }) },
    { weight: 1, arbitrary: fc.constantFrom<BodySpec>({ kind: "text", text: "" }, { kind: "text", text: "   \n" }) },
    { weight: 2, arbitrary: invalidJsonArb.map((text): BodySpec => ({ kind: "text", text })) },
    { weight: 6, arbitrary: documentedBodyArb(fields, emails).map((value): BodySpec => ({ kind: "json", value })) },
    { weight: 2, arbitrary: jsonValueArb.map((value): BodySpec => ({ kind: "json", value })) },
    { weight: 1, arbitrary: deepArb(Object.keys(fields)) },
    { weight: 1, arbitrary: nulBytesArb },
  );

// ---- paths ----

/** encodeURIComponent for any string (lone surrogates become U+FFFD instead of throwing). */
export const encode = (text: string) =>
  encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));

export interface RouteTemplate {
  method: string;
  /** OpenAPI path, e.g. `/api/v1/overrides/{id}`. */
  path: string;
  params: string[];
  /** Documented body fields and their JSON type (undefined when the schema says nothing). */
  fields: Record<string, string | undefined>;
  /** Documented query parameters. */
  query: string[];
  authenticated: boolean;
  /** The route's OpenAPI tags (the forwarded orchestrator routes are tagged "Orchestrator"). */
  tags: string[];
}

/** Path-parameter values: unicode, dot segments, very long, percent-encoding junk. */
export const paramArb = (realIds: readonly string[]): fc.Arbitrary<{ raw: boolean; value: string }> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...realIds).map((value) => ({ raw: false, value })) },
    { weight: 1, arbitrary: fc.uuid().map((value) => ({ raw: false, value })) },
    { weight: 3, arbitrary: stringArb.map((value) => ({ raw: false, value })) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(
          "..",
          "../..",
          "%2e%2e",
          "%2E%2E%2F%2E%2E",
          "%00",
          "a%00b",
          "%",
          "%%",
          "%zz",
          "%c0%af",
          "%ff%fe",
          "%ed%a0%80",
          "%2F",
          "a%2Fb",
          "%u0041",
          "%25",
          ";",
          "a;b=c",
          "?",
          "#",
          "%3F",
          "%23",
          "%20",
          "~",
          "*",
          "x".repeat(8_000),
          "%41".repeat(3_000),
          "é",
          "%E2%80%AE",
        )
        .map((value) => ({ raw: true, value })),
    },
  );

export const queryArb = (names: readonly string[]): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...names, "limit", "page", "page_size", "token", "offset") },
          { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
        ),
        fc.oneof(
          { weight: 2, arbitrary: stringArb },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              "-1",
              "0",
              "1",
              "100",
              "1001",
              "99999999999999999999",
              "1e21",
              "9007199254740993",
              "0x10",
              "NaN",
              "true",
              "asc",
              "desc",
              "name",
            ),
          },
          { weight: 1, arbitrary: fc.integer().map(String) },
        ),
        fc.boolean(),
      ),
      { maxLength: 4 },
    )
    .map((pairs) =>
      pairs.length === 0
        ? ""
        : `?${pairs.map(([k, v, raw]) => (raw ? `${k}=${v.replace(/[#\s]/g, "")}` : `${encode(k)}=${encode(v)}`)).join("&")}`,
    );

/** Fills a route template's parameters and adds a query string. */
export const templatePathArb = (route: RouteTemplate, realIds: readonly string[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(paramArb(realIds), { minLength: route.params.length, maxLength: route.params.length }),
      queryArb(route.query),
    )
    .map(([values, query]) => {
      let path = route.path;
      route.params.forEach((name, i) => {
        const param = values[i] ?? { raw: false, value: "" };
        // A raw value goes in as typed (the URL parser may still resolve dot segments); else one encoded segment.
        const text = param.raw ? param.value.replace(/[#\s]/g, "") : encode(param.value);
        path = path.replace(
          `{${name}}`,
          name === "rest" && !param.raw ? param.value.split("/").map(encode).join("/") : text,
        );
      });
      return `${path}${query}`;
    });

/** Paths no template describes: random segments under the served prefixes, web paths, junk. */
export const randomPathArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        "/",
        "/api/",
        "/api/v1/",
        "/api/v1/mcp/",
        "/api/v1/tenant/",
        "/.well-known/",
        "/api/v1/billing/",
        "//",
      ),
      fc.array(fc.oneof(fc.webSegment(), stringArb.map(encode), fc.constantFrom("..", ".", "%2e", "")), {
        maxLength: 5,
      }),
    )
    .map(([prefix, segments]) => `${prefix}${segments.join("/")}`),
  fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
  fc.constantFrom(
    "/health/",
    "/HEALTH",
    "/api/v1/register/",
    "/api/v1/mcp-server/",
    "/api/v1/mcp-server/..%2f..%2fhealth",
    "/api/v1/dynamic-policies/",
    "/api/v1/static-policies//",
    "/api/v1/tenant//delete-request",
    "/api/v1/tenant/%20/delete-confirm",
    "/api/v1/audit/tenant/",
    "/api/v1/decisions//explain",
    "/openapi.json/x",
    "/%2e%2e/%2e%2e/etc/passwd",
    `/${"a/".repeat(2_000)}`,
    `/api/v1/connectors/${"%".repeat(500)}`,
    "/api/v1/cost/%ff%fe",
    "/api/v1/plans/a/b/c/../../..",
  ),
);

// ---- headers ----

export type HeaderPair = [name: string, value: string];

/**
 * A header value a client can send: no CR, LF or NUL. Non-ASCII text goes out as UTF-8 (workerd's
 * fetch encodes it so, and prints a warning per value — hence the few short Unicode values below).
 */
export function headerSafe(value: string): string {
  return value.replace(/[\0\r\n]/g, "");
}

/** Non-ASCII header values, sent by a dedicated test (one workerd warning per value and request). */
export const UNICODE_HEADER_VALUES = ["é", "日本語", "😀", "\u202e", "Ω≈ç√", "\u00a0x\u00a0", "\u00ff\u00fe"] as const;

/** Random header values are ASCII (workerd warns on every non-ASCII one; UNICODE_HEADER_VALUES cover those). */
export const headerValueArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: spicyStringArb.filter((s) => [...s].every((ch) => ch.charCodeAt(0) < 0x80)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("h", "A=", "%ff", ", ", "\t"), fc.integer({ min: 1_000, max: 40_000 }))
      .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)),
  },
);

const base64Of = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
};

const randomBase64Arb = fc.uint8Array({ maxLength: 200 }).map((bytes) => btoa(String.fromCharCode(...bytes)));

/**
 * Authorization values that are not a pool tenant's credential. Usernames are mostly known ids
 * (pool tenants with a wrong secret, or `fakeIds`): each new id costs a Durable Object and a
 * Postgres lookup, ~200 ms, which the time budget cannot pay for every request.
 */
export const junkAuthorizationArb = (tenantIds: readonly string[], fakeIds: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 2, arbitrary: randomBase64Arb.map((b) => `Basic ${b}`) },
    { weight: 1, arbitrary: randomBase64Arb },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...tenantIds) },
            { weight: 3, arbitrary: fc.constantFrom(...fakeIds) },
            { weight: 1, arbitrary: stringArb },
            { weight: 1, arbitrary: fc.constant("") },
          ),
          fc.oneof(
            fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 }),
            stringArb,
            fc.constant(""),
          ),
          fc.constantFrom("Basic ", "basic ", "BASIC  ", ""),
        )
        // KNOWN BUG (pinned in routes.fuzz.test.ts, "known bugs"): an email as the user name is logged
        // whole, so no user name here has an "@".
        .filter(([user]) => !user.includes("@"))
        .map(([user, secret, scheme]) => `${scheme}${base64Of(`${user}:${secret}`)}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "Basic",
        "Basic ",
        "Basic =",
        "Basic ====",
        "Basic %%%not-base64%%%",
        "Basic Og==",
        `Basic ${btoa("no-colon")}`,
        `Basic ${btoa("cs_x:")}`,
        `Basic ${btoa(":secret")}`,
        "Bearer abc.def.ghi",
        "Digest username=x",
        "Basic YQ==,Basic Yg==",
        "Basic -_-_",
      ),
    },
    { weight: 1, arbitrary: headerValueArb },
  );

/** X-License-Token junk: AXON- prefixed base64url pieces, random text, huge values. */
export const junkLicenseArb = fc.oneof(
  fc
    .tuple(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 80 }))
    .map(
      ([a, b]) =>
        `AXON-${btoa(String.fromCharCode(...a)).replace(/=+$/, "")}.${btoa(String.fromCharCode(...b)).replace(/=+$/, "")}`,
    ),
  fc.constantFrom("AXON-", "AXON-.", "AXON-a.b", "axon-x.y", ".", "AXON-eyJ0aWVyIjoiUHJvIn0.AAAA"),
  fc.json().map((j) => `AXON-${base64Of(j).replace(/=+$/, "")}.${"A".repeat(86)}`),
  headerValueArb,
);

export const clientHeaderArb = fc.oneof(
  fc.constantFrom(
    "claude-code-plugin/1.13.0",
    "cursor-plugin/1.7.0",
    "codex-plugin/1.7.0",
    "openclaw/2.8.0",
    "sdk-typescript/7.7.0",
    "sdk-python/9.0.0",
    "mcp-proxy/0.3.1",
    "/",
    "x/",
    "/1.0",
    "a/b/c",
    "",
  ),
  headerValueArb,
);

export const contentTypeArb = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  " application/json ",
  "application/jsonx",
  "application/json-patch+json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "text/plain",
  "text/html; charset=iso-8859-1",
  "application/octet-stream",
  "*/*",
  "",
  ";",
  "application/json; charset=utf-16",
);

/** Any other header a client might send, the identity aliases and MCP headers included. */
export const miscHeaderArb = (emails: readonly string[]): fc.Arbitrary<HeaderPair> =>
  fc.oneof(
    fc.tuple(fc.constant("X-User-Email"), emailArb(emails)),
    fc.tuple(
      fc.constantFrom("X-Tenant-ID", "X-Client-ID", "X-Org-ID"),
      fc.oneof(
        headerValueArb,
        fc.uuid().map((u) => `cs_${u}`),
      ),
    ),
    fc.tuple(fc.constant("Idempotency-Key"), fc.oneof(headerValueArb, fc.constant("k".repeat(256)), fc.uuid())),
    fc.tuple(
      fc.constant("MCP-Protocol-Version"),
      fc.oneof(fc.constantFrom("2025-06-18", "2024-11-05", "2099-01-01"), headerValueArb),
    ),
    fc.tuple(fc.constant("Mcp-Session-Id"), fc.oneof(fc.constant(`axonflow-${"0".repeat(24)}`), headerValueArb)),
    fc.tuple(fc.constant("Accept"), fc.constantFrom("application/json", "text/event-stream", "*/*", "text/html", "")),
    fc.tuple(fc.constant("Stripe-Signature"), fc.oneof(fc.constant("t=1,v1=00"), headerValueArb)),
    fc.tuple(fc.constant("Origin"), fc.constantFrom("https://evil.example", "null", "")),
    fc.tuple(fc.constant("Access-Control-Request-Method"), fc.constantFrom(...STANDARD_METHODS, "FOO")),
    fc.tuple(fc.constant("X-Request-Id"), fc.oneof(fc.uuid(), headerValueArb)),
    fc.tuple(fc.constant("X-Forwarded-For"), fc.constantFrom("1.2.3.4", "127.0.0.1, 10.0.0.1", "junk")),
    fc.tuple(fc.constant("Accept-Encoding"), fc.constantFrom("gzip", "br", "identity;q=0", "")),
    fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/), headerValueArb),
  );

/** Headers besides Authorization: each optional, some duplicated (fetch joins duplicates with ", "). */
export const headersArb = (emails: readonly string[], options: { junkLicense: boolean }): fc.Arbitrary<HeaderPair[]> =>
  fc
    .tuple(
      fc.option(contentTypeArb, { nil: undefined, freq: 3 }),
      fc.option(clientHeaderArb, { nil: undefined, freq: 2 }),
      options.junkLicense ? fc.option(junkLicenseArb, { nil: undefined, freq: 3 }) : fc.constant(undefined),
      fc.array(miscHeaderArb(emails), { maxLength: 3 }),
      fc.boolean(),
    )
    .map(([contentType, client, license, misc, duplicate]) => {
      const pairs: HeaderPair[] = [];
      if (contentType !== undefined) pairs.push(["Content-Type", contentType]);
      if (client !== undefined) pairs.push(["X-Axonflow-Client", client]);
      if (license !== undefined) pairs.push(["X-License-Token", license]);
      pairs.push(...misc);
      const first = pairs[0];
      if (duplicate && first) pairs.push([first[0], first[1]]);
      return pairs;
    });
