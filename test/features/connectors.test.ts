/** The connector catalogue: GET /api/v1/connectors and GET /api/v1/connectors/{id} (platform.md §9.4). */
import { describe, expect, it } from "vitest";
import { describeAuthSecurity } from "../support/auth-suite";
import { basic, call, expectErrorA, registerTenant } from "../support/http";

const PLUGIN = { "X-Axonflow-Client": "claude-code/1.13.0" };

function get(path: string, auth?: string) {
  return call(path, { headers: { ...PLUGIN, ...(auth ? { Authorization: auth } : {}) } });
}

async function tenantAuth() {
  const tenant = await registerTenant();
  return basic(tenant.tenant_id, tenant.secret);
}

interface Entry {
  id: string;
  category: string;
  config_schema: Record<string, unknown> & {
    properties: Record<string, Record<string, unknown>>;
    credentials: Record<string, Record<string, unknown>>;
  };
  installed: boolean;
}

describeAuthSecurity("GET /api/v1/connectors", (auth) => get("/api/v1/connectors", auth));
describeAuthSecurity("GET /api/v1/connectors/{id}", (auth) => get("/api/v1/connectors/postgresql", auth));

describe("GET /api/v1/connectors", () => {
  it("lists the community build's four connectors in the reference's entry shape, none installed", async () => {
    const response = await get("/api/v1/connectors", await tenantAuth());
    expect(response.status).toBe(200);
    const body = (await response.json()) as { connectors: Entry[]; total: number };
    expect(Object.keys(body)).toEqual(["connectors", "total"]);
    expect(body.total).toBe(4);
    expect(body.connectors.map((c) => c.id)).toEqual(["amadeus-travel", "redis-cache", "http-rest", "postgresql"]);
    for (const entry of body.connectors) {
      expect(Object.keys(entry)).toEqual([
        "id",
        "name",
        "type",
        "version",
        "description",
        "category",
        "icon",
        "tags",
        "capabilities",
        "config_schema",
        "installed",
      ]);
      expect(entry.installed).toBe(false);
      // Go writes map keys sorted: the schema's keys come out in that order.
      expect(Object.keys(entry.config_schema)).toEqual(["credentials", "properties", "required", "type"]);
      const names = Object.keys(entry.config_schema.properties);
      expect(names).toEqual([...names].sort());
    }
    expect(body.connectors[3]).toMatchObject({
      name: "PostgreSQL Database",
      type: "postgres",
      version: "0.1.0",
      category: "Database",
      tags: ["database", "sql", "postgres"],
      capabilities: ["query", "execute", "transactions"],
      config_schema: {
        required: ["host", "database"],
        properties: { port: { default: 5432, type: "number" } },
        credentials: { username: { type: "string" }, password: { type: "string" } },
      },
    });
    expect(Object.keys(body.connectors[2]?.config_schema.properties.auth_type ?? {})).toEqual([
      "default",
      "description",
      "enum",
      "type",
    ]);
  });

  it("filters by category and by search text, case-insensitively", async () => {
    const auth = await tenantAuth();
    const byCategory = (await (await get("/api/v1/connectors?category=database", auth)).json()) as {
      connectors: Entry[];
      total: number;
    };
    expect(byCategory.connectors.map((c) => c.id)).toEqual(["postgresql"]);
    expect(byCategory.total).toBe(1);
    const bySearch = (await (await get("/api/v1/connectors?search=FLIGHTS", auth)).json()) as { connectors: Entry[] };
    expect(bySearch.connectors.map((c) => c.id)).toEqual(["amadeus-travel"]);
    expect(await (await get("/api/v1/connectors?search=nothing-like-this", auth)).json()).toEqual({
      connectors: [],
      total: 0,
    });
  });

  it("answers other methods 405 with Allow", async () => {
    const response = await call("/api/v1/connectors", { method: "POST", headers: PLUGIN });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, OPTIONS");
  });

  it("counts against the daily quota", async () => {
    const auth = await tenantAuth();
    expect((await get("/api/v1/connectors", auth)).status).toBe(200);
    expect((await get("/api/v1/connectors/redis-cache", auth)).status).toBe(200);
    const response = await call("/api/policy/pre-check", {
      method: "POST",
      headers: { ...PLUGIN, "Content-Type": "application/json", Authorization: auth },
      body: JSON.stringify({ query: "hello" }),
    });
    const body = (await response.json()) as { rate_limit: { remaining: number } };
    expect(body.rate_limit.remaining).toBe(197);
  });
});

describe("GET /api/v1/connectors/{id}", () => {
  it("answers the catalogue entry", async () => {
    const auth = await tenantAuth();
    const list = (await (await get("/api/v1/connectors", auth)).json()) as { connectors: Entry[] };
    const response = await get("/api/v1/connectors/redis-cache", auth);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(list.connectors[1]);
  });

  it("answers an unknown id with a JSON 404 (shape A, not the reference's plain text)", async () => {
    await expectErrorA(await get("/api/v1/connectors/mysql", await tenantAuth()), 404, "Connector not found");
  });
});
