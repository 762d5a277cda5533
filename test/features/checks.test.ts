/** REST check-input / check-output (platform.md §9.3) as OpenClaw and the SDKs call them. */
import { describe, expect, it } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { basic, call, callWithEnv, registerTenant } from "../support/http";

const OPENCLAW = "openclaw/2.8.3";

function post(path: string, body: unknown, auth?: string, headers: Record<string, string> = {}, settled = false) {
  const init = {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Axonflow-Client": OPENCLAW,
      ...(auth ? { Authorization: auth } : {}),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
  return settled ? callWithEnv({}, path, init) : call(path, init);
}

async function tenantAuth() {
  const tenant = await registerTenant();
  return { tenant, auth: basic(tenant.tenant_id, tenant.secret) };
}

const checkInput = (body: unknown, auth?: string, headers?: Record<string, string>, settled?: boolean) =>
  post("/api/v1/mcp/check-input", body, auth, headers, settled);
const checkOutput = (body: unknown, auth?: string) => post("/api/v1/mcp/check-output", body, auth);

describeAuthSecurity("POST /api/v1/mcp/check-input", (authorization) =>
  checkInput({ connector_type: "openclaw.exec", statement: "ls" }, authorization),
);
describeAuthSecurity("POST /api/v1/mcp/check-output", (authorization) =>
  checkOutput({ connector_type: "openclaw.exec", message: "ok" }, authorization),
);

describe("POST /api/v1/mcp/check-input", () => {
  it("answers 200 with redaction_evaluated for an allowed statement", async () => {
    const { auth } = await tenantAuth();
    const response = await checkInput(
      { connector_type: "openclaw.read_file", statement: '{"path":"README.md"}', operation: "execute" },
      auth,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      allowed: true,
      policies_evaluated: expect.any(Number),
      decision_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      redaction_evaluated: true,
    });
  });

  it("answers 403 with the same body shape for a blocked statement", async () => {
    const { auth } = await tenantAuth();
    const response = await checkInput({ connector_type: "openclaw.exec", statement: '{"command":"rm -rf /"}' }, auth);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      allowed: false,
      block_reason: "Block destructive filesystem operations",
      risk_level: "critical",
      policy_matches: [{ policy_id: "sys_dangerous_destructive_fs", allow_override: false }],
    });
  });

  it("returns a masked statement for critical PII", async () => {
    const { auth } = await tenantAuth();
    const body = await (
      await checkInput({ connector_type: "openclaw.exec", statement: "note ssn 123-45-6789" }, auth)
    ).json();
    expect(body).toMatchObject({
      allowed: true,
      redacted: true,
      redacted_statement: "note ssn 1*********9",
      redaction_evaluated: true,
    });
  });

  it("answers shape B 400s for missing fields and bad bodies", async () => {
    const { auth } = await tenantAuth();
    const cases: Array<[unknown, string]> = [
      [{ statement: "ls" }, "connector_type is required"],
      [{ connector_type: "openclaw.exec" }, "statement is required"],
      [{ connector_type: "openclaw.exec", statement: "" }, "statement is required"],
      ["{broken", "Invalid request body"],
      [{ connector_type: 7, statement: "ls" }, "Invalid request body"],
      [[1, 2], "Invalid request body"],
    ];
    for (const [body, message] of cases) {
      const response = await checkInput(body, auth);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ success: false, error: message, blocked: false });
    }
  });

  it("accepts the caller's own client_id/tenant_id in the body and refuses another's", async () => {
    const { tenant, auth } = await tenantAuth();
    const own = await checkInput(
      { connector_type: "x.y", statement: "ls", client_id: tenant.tenant_id, tenant_id: "" },
      auth,
    );
    expect(own.status).toBe(200);
    const foreign = await checkInput({ connector_type: "x.y", statement: "ls", tenant_id: "cs_someone-else" }, auth);
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({ success: false, error: "Tenant mismatch", blocked: false });
  });

  it("replays the stored answer for a repeated Idempotency-Key, and refuses the key for another body", async () => {
    const { auth } = await tenantAuth();
    const key = { "Idempotency-Key": `key-${crypto.randomUUID()}` };
    const body = { connector_type: "openclaw.exec", statement: "rm -rf /" };
    const first = await checkInput(body, auth, key, true);
    const firstBody = await first.text();
    const replay = await checkInput(body, auth, key, true);
    expect(replay.status).toBe(403);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await replay.text()).toBe(firstBody);
    const other = await checkInput({ ...body, statement: "ls" }, auth, key, true);
    expect(other.status).toBe(422);
    const oversized = await checkInput(body, auth, { "Idempotency-Key": "k".repeat(256) });
    expect(oversized.status).toBe(400);
  });
});

describe("POST /api/v1/mcp/check-output", () => {
  it("puts the masked message in redacted_data", async () => {
    const { auth } = await tenantAuth();
    const response = await checkOutput({ connector_type: "openclaw.exec", message: "card 4111 1111 1111 1111" }, auth);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      allowed: true,
      redacted_data: "card 4*****************1",
      redaction_evaluated: true,
    });
  });

  it("masks rows and reports exfiltration info", async () => {
    const { auth } = await tenantAuth();
    const body = await (
      await checkOutput({ connector_type: "openclaw.sql", response_data: [{ email: "jane.roe@example.com" }] }, auth)
    ).json();
    expect(body).toMatchObject({
      allowed: true,
      redacted_data: [{ email: "ja****************om" }],
      exfiltration_info: { rows_returned: 1, within_limits: true },
    });
  });

  it("denies with 403 when the rows exceed the exfiltration limit", async () => {
    const { auth } = await tenantAuth();
    const rows = Array.from({ length: 10_001 }, (_, i) => ({ i }));
    const response = await checkOutput({ connector_type: "openclaw.sql", response_data: rows }, auth);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      allowed: false,
      block_reason: "Row count limit exceeded: 10001 rows returned, limit is 10000",
      exfiltration_info: { within_limits: false },
    });
  });

  it("requires connector_type and a message or rows", async () => {
    const { auth } = await tenantAuth();
    const missing = await checkOutput({ connector_type: "openclaw.exec" }, auth);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      success: false,
      error: "response_data or message is required",
      blocked: false,
    });
    expect((await checkOutput({ message: "x" }, auth)).status).toBe(400);
  });
});
