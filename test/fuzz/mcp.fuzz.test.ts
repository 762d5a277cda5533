/**
 * Property-based fuzz of the MCP server, POST /api/v1/mcp-server (issue 14, item 4): JSON-RPC
 * messages with wrong versions, ids and methods, notifications, batches (empty, mixed, huge),
 * tools/call with random tool names and arguments, raw junk bodies — mostly as registered tenants,
 * so the tools run. Besides the route properties (harness.ts): JSON-RPC answers echo the id, use
 * the known error codes, tool results are one text block (JSON unless an error), and no tool text
 * shows a stack trace.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentTypeArb,
  documentedBodyArb,
  headerValueArb,
  invalidJsonArb,
  jsonValueArb,
  junkAuthorizationArb,
  stringArb,
} from "./arbitraries";
import {
  type AuthSpec,
  assertProperty,
  createContext,
  createPool,
  type Exchange,
  exchangeAll,
  type FuzzContext,
  LogCapture,
  logProblems,
  type RequestSpec,
  report,
  toolTextProblems,
} from "./harness";

const MCP = "/api/v1/mcp-server";
/** Runs per property, each a batch of up to BATCH concurrent requests (sized for the suite's time budget). */
const RUNS = { messages: 45, batches: 12, transport: 12 } as const;
const BATCH = 4;
/** What the server answers in `error.code` (src/features/mcp/jsonrpc.ts). */
const RPC_CODES = new Set([-32700, -32600, -32601, -32602, -32603, -32001]);

interface ToolDescriptor {
  name: string;
  inputSchema: { properties?: Record<string, { type?: string }> };
}

const logs = new LogCapture();
let ctx: FuzzContext;
let tools: ToolDescriptor[];

beforeAll(async () => {
  logs.start();
  ctx = createContext(await createPool(5, 3), logs);
  const [listed] = await exchangeAll(ctx, [
    {
      method: "POST",
      path: MCP,
      headers: [["Content-Type", "application/json"]],
      body: { kind: "json", value: { jsonrpc: "2.0", id: 1, method: "tools/list" } },
      auth: { kind: "tenant", index: 0, bare: false, license: "own" },
    },
  ]);
  tools = (JSON.parse(listed?.body ?? "{}") as { result: { tools: ToolDescriptor[] } }).result.tools;
});

afterAll(() => logs.stop());

// ---- arbitraries ----

const idArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer() },
  { weight: 3, arbitrary: stringArb },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308) },
  // Not valid JSON-RPC ids.
  { weight: 1, arbitrary: fc.constantFrom<unknown>(true, {}, [], [1], { id: 1 }) },
);

const methodNameArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("initialize", "ping", "tools/list", "tools/call") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "notifications/initialized",
      "notifications/cancelled",
      "resources/list",
      "prompts/list",
      "rpc.discover",
      "TOOLS/CALL",
      "tools/call ",
      "",
      "__proto__",
      "constructor",
    ),
  },
  { weight: 1, arbitrary: stringArb },
);

const versionArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant<unknown>("2.0") },
  { weight: 1, arbitrary: fc.constantFrom<unknown>("1.0", "2", 2, 2.0, null, "2.0 ", "", ["2.0"]) },
);

/** Arguments for one tool: its documented properties with right or wrong types, or junk. */
function argumentsArb(name: string): fc.Arbitrary<unknown> {
  const tool = tools.find((t) => t.name === name);
  const fields: Record<string, string | undefined> = {};
  for (const [key, schema] of Object.entries(tool?.inputSchema.properties ?? {})) fields[key] = schema.type;
  return fc.oneof(
    { weight: 6, arbitrary: documentedBodyArb(fields, ctx.pool.headerEmails) },
    { weight: 1, arbitrary: jsonValueArb },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, [], "", JSON.parse('{"__proto__":{"x":1}}')) },
  );
}

const toolCallParamsArb = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .oneof(
          { weight: 6, arbitrary: fc.constantFrom(...tools.map((t) => t.name)) },
          { weight: 1, arbitrary: fc.constantFrom("", "CHECK_POLICY", "check_policy ", "unknown_tool", "toString") },
          { weight: 1, arbitrary: stringArb },
        )
        .chain((name) =>
          fc.record({ name: fc.constant(name), arguments: argumentsArb(name) }, { requiredKeys: ["name"] }),
        ),
    },
    { weight: 1, arbitrary: fc.record({ name: jsonValueArb, arguments: jsonValueArb }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: jsonValueArb },
  );

const paramsFor = (method: string): fc.Arbitrary<unknown> => {
  if (method === "tools/call") return toolCallParamsArb();
  if (method === "initialize") {
    return fc.record(
      {
        protocolVersion: fc.oneof(fc.constantFrom("2025-06-18", "2024-11-05", "1999-01-01"), jsonValueArb),
        clientInfo: fc.oneof(fc.record({ name: stringArb, version: stringArb }), jsonValueArb),
        capabilities: jsonValueArb,
      },
      { requiredKeys: [] },
    );
  }
  return jsonValueArb;
};

/** One JSON-RPC message: mostly well-formed, with any key missing or of the wrong type. */
const messageArb = (): fc.Arbitrary<Record<string, unknown>> =>
  methodNameArb.chain((method) =>
    fc
      .record(
        {
          jsonrpc: versionArb,
          id: idArb,
          method: fc.oneof(
            { weight: 9, arbitrary: fc.constant<unknown>(method) },
            { weight: 1, arbitrary: jsonValueArb },
          ),
          params: paramsFor(method),
          extra: fc.dictionary(fc.constantFrom("result", "error", "meta", "__proto__"), jsonValueArb, { maxKeys: 1 }),
        },
        { requiredKeys: ["jsonrpc", "method"] },
      )
      .map(({ extra, ...message }) => ({ ...extra, ...message })),
  );

const tenantAuthArb = (): fc.Arbitrary<AuthSpec> =>
  fc.record({
    kind: fc.constant("tenant" as const),
    index: fc.nat({ max: ctx.pool.tenants.length - 1 }),
    bare: fc.constantFrom(false, false, false, true),
    license: fc.constantFrom("own", "own", "own", "none", "foreign", "junk"),
    junkLicense: headerValueArb,
  });

const anyAuthArb = (): fc.Arbitrary<AuthSpec> =>
  fc.oneof(
    { weight: 6, arbitrary: tenantAuthArb() },
    { weight: 1, arbitrary: fc.constant<AuthSpec>({ kind: "none" }) },
    {
      weight: 1,
      arbitrary: junkAuthorizationArb(
        ctx.pool.tenants.map((t) => t.id),
        ctx.pool.fakeIds,
      ).map((value): AuthSpec => ({ kind: "raw", value })),
    },
  );

const mcpHeadersArb = fc
  .tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: contentTypeArb }),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.constantFrom("2025-06-18", "2024-11-05") },
      { weight: 1, arbitrary: fc.constantFrom("2025-03-26", "x", "") },
    ),
    fc.option(fc.oneof(fc.constant(`axonflow-${"a".repeat(24)}`), headerValueArb), { nil: undefined, freq: 4 }),
    fc.option(fc.constantFrom("claude-code-plugin/1.13.0", "cursor-plugin/1.7.0", "codex-plugin/1.7.0", "x"), {
      nil: undefined,
      freq: 2,
    }),
    fc.option(fc.constantFrom("application/json", "text/event-stream", "application/json, text/event-stream"), {
      nil: undefined,
      freq: 2,
    }),
  )
  .map(([contentType, protocol, session, client, accept]) => {
    const headers: Array<[string, string]> = [["Content-Type", contentType]];
    if (protocol) headers.push(["MCP-Protocol-Version", protocol]);
    if (session) headers.push(["Mcp-Session-Id", session]);
    if (client) headers.push(["X-Axonflow-Client", client]);
    if (accept) headers.push(["Accept", accept]);
    return headers;
  });

const postArb = (body: fc.Arbitrary<RequestSpec["body"]>) =>
  fc.record<RequestSpec>({
    method: fc.constant("POST"),
    path: fc.constant(MCP),
    headers: mcpHeadersArb,
    body,
    auth: anyAuthArb(),
  });

// ---- the JSON-RPC oracle ----

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The MCP answer's own properties, on top of the route properties. */
function jsonRpcProblems(ex: Exchange): string[] {
  if (ex.spec.path !== MCP || ex.spec.method !== "POST") return [];
  const problems: string[] = [];
  const sent = ex.spec.body.kind === "json" ? ex.spec.body.value : undefined;
  const single = isObject(sent) ? sent : undefined;
  if (ex.status === 202) {
    // Only a notification (no id) of a valid message is accepted without an answer.
    if (!single || "id" in single || single.jsonrpc !== "2.0" || typeof single.method !== "string") {
      problems.push("202 for something that is not a notification");
    }
    if (ex.body !== "") problems.push("202 with a body");
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(ex.body);
  } catch {
    return ["MCP answer is not JSON"];
  }
  if (!isObject(body)) return ["MCP answer is not a JSON object (batches are answered with one error)"];
  if (body.jsonrpc !== "2.0") problems.push("answer without jsonrpc 2.0");
  const error = body.error;
  if (isObject(error)) {
    if (!RPC_CODES.has(error.code as number)) problems.push(`unknown JSON-RPC error code ${String(error.code)}`);
    if (Array.isArray(sent) && error.code !== -32600) problems.push("a batch not answered -32600");
  } else if (!isObject(body.result)) {
    problems.push("answer with neither result nor error");
  }
  // A request with a valid id gets that id back — once the body is read: the media type, the
  // MCP-Protocol-Version header and the size are refused before it (id null).
  const refusedBeforeBody =
    ex.status === 415 ||
    ex.status === 413 ||
    (isObject(error) && String(error.message).startsWith("Unsupported protocol version"));
  const validId = single && "id" in single && ["string", "number"].includes(typeof single.id);
  if (
    !refusedBeforeBody &&
    validId &&
    single.jsonrpc === "2.0" &&
    typeof single.method === "string" &&
    single.method !== ""
  ) {
    if (body.id !== single.id) problems.push(`id ${JSON.stringify(single.id)} answered as ${JSON.stringify(body.id)}`);
  }
  if (isObject(body.result) && Array.isArray(body.result.content)) problems.push(...toolTextProblems(body.result));
  // tools/call by a working credential for an unknown tool: -32602 (platform.md §9.2).
  const params = single?.params;
  if (
    ex.status === 200 &&
    single?.method === "tools/call" &&
    single.jsonrpc === "2.0" &&
    isObject(params) &&
    typeof params.name === "string" &&
    params.name !== "" &&
    !tools.some((t) => t.name === params.name) &&
    (!isObject(error) || error.code !== -32602)
  ) {
    problems.push(`unknown tool ${JSON.stringify(params.name)} not answered -32602`);
  }
  return problems;
}

const exchange = (specs: readonly RequestSpec[]) => exchangeAll(ctx, specs, jsonRpcProblems);

// ---- properties ----

describe("fuzz: MCP server", () => {
  it("lists the tools it fuzzes", () => {
    expect(tools.length).toBeGreaterThanOrEqual(16);
  });

  it("answers random JSON-RPC messages and tool calls within the contract", { timeout: 60_000 }, async () => {
    const specArb = postArb(messageArb().map((value): RequestSpec["body"] => ({ kind: "json", value })));
    await assertProperty(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: BATCH }), async (specs) => {
        await exchange(specs);
      }),
      RUNS.messages,
    );
  });

  it("answers batches — empty, mixed, huge — and junk bodies within the contract", { timeout: 60_000 }, async () => {
    const bodyArb = fc.oneof(
      fc
        .array(fc.oneof(messageArb(), jsonValueArb), { maxLength: 6 })
        .map((value): RequestSpec["body"] => ({ kind: "json", value })),
      fc.constant<RequestSpec["body"]>({ kind: "json", value: [] }),
      fc.constant<RequestSpec["body"]>({ kind: "json", value: [[]] }),
      fc.integer({ min: 100, max: 5_000 }).map((n): RequestSpec["body"] => ({
        kind: "json",
        value: Array.from({ length: n }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" })),
      })),
      invalidJsonArb.map((text): RequestSpec["body"] => ({ kind: "text", text })),
      fc.constantFrom<RequestSpec["body"]>(
        { kind: "none" },
        { kind: "text", text: "" },
        { kind: "bytes", bytes: [0, 0] },
      ),
      fc.integer({ min: 1_000, max: 12_000 }).map((depth): RequestSpec["body"] => ({
        kind: "deep",
        depth,
        container: "object",
        field: "params",
        extra: { jsonrpc: "2.0", id: 1, method: "tools/call" },
      })),
      jsonValueArb.map((value): RequestSpec["body"] => ({ kind: "json", value })),
    );
    await assertProperty(
      fc.asyncProperty(fc.array(postArb(bodyArb), { minLength: 1, maxLength: BATCH }), async (specs) => {
        await exchange(specs);
      }),
      RUNS.batches,
    );
  });

  it("answers other methods, session ends and headers within the contract", { timeout: 60_000 }, async () => {
    const specArb = fc.record<RequestSpec>({
      method: fc.constantFrom("GET", "DELETE", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"),
      path: fc.constantFrom(MCP, `${MCP}?session=1`),
      headers: mcpHeadersArb,
      body: fc.constantFrom<RequestSpec["body"]>(
        { kind: "none" },
        { kind: "json", value: { jsonrpc: "2.0", id: 1, method: "ping" } },
      ),
      auth: anyAuthArb(),
    });
    await assertProperty(
      fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: BATCH }), async (specs) => {
        await exchange(specs);
      }),
      RUNS.transport,
    );
  });

  it("ends a session it handed out, and only once", async () => {
    const auth: AuthSpec = { kind: "tenant", index: 1, bare: false, license: "own" };
    const [init] = await exchange([
      {
        method: "POST",
        path: MCP,
        headers: [["Content-Type", "application/json"]],
        body: { kind: "json", value: { jsonrpc: "2.0", id: "init", method: "initialize", params: {} } },
        auth,
      },
    ]);
    const session = init?.headers.get("Mcp-Session-Id") ?? "";
    expect(session).toMatch(/^axonflow-[0-9a-f]{24}$/);
    const end = (): RequestSpec => ({
      method: "DELETE",
      path: MCP,
      headers: [["Mcp-Session-Id", session]],
      body: { kind: "none" },
      auth,
    });
    const [first] = await exchange([end()]);
    const [second] = await exchange([end()]);
    expect([first?.status, second?.status]).toEqual([200, 404]);
  });

  it("logs no secret, token or full email", () => {
    expect(logs.lines.filter((line) => line.includes('"event":"request"')).length).toBeGreaterThanOrEqual(ctx.requests);
    expect(logProblems(logs.lines, ctx.forbiddenInLogs, ctx.emailsSent)).toEqual([]);
    report(ctx);
  });
});
