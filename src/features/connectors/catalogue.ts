/**
 * The connector catalogue of the reference's community build (`GET /api/v1/connectors`): the same
 * four connectors with their ids, types, versions, categories, icons, tags, capabilities and
 * configuration fields; the prose (descriptions) is our own.
 *
 * Wire order matters to clients that compare bodies. The reference encodes an entry as a Go struct
 * (fields in declaration order, kept here) but its `config_schema` as nested Go maps, which
 * `encoding/json` writes with their keys sorted. The schema literals below are therefore written in
 * sorted key order (`credentials, properties, required, type`; fields `default, description, enum,
 * type`; field names alphabetically) so that `JSON.stringify` produces the same order.
 */

/** One configuration or credential field of a connector. */
export interface ConnectorField {
  readonly default?: string | number;
  readonly description: string;
  readonly enum?: readonly string[];
  readonly type: "string" | "number" | "object";
}

/** What an installation needs: `credentials` sits beside `properties`, as in the reference. */
export interface ConnectorConfigSchema {
  readonly credentials: Readonly<Record<string, ConnectorField>>;
  readonly properties: Readonly<Record<string, ConnectorField>>;
  readonly required: readonly string[];
  readonly type: "object";
}

/** A catalogue entry without its per-caller installation state. */
export interface ConnectorMetadata {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly description: string;
  readonly category: string;
  readonly icon: string;
  readonly tags: readonly string[];
  readonly capabilities: readonly string[];
  readonly config_schema: ConnectorConfigSchema;
}

const text = (description: string): ConnectorField => ({ description, type: "string" });

/** The community build's connectors, in the reference's order. */
export const CONNECTORS: readonly ConnectorMetadata[] = [
  {
    id: "amadeus-travel",
    name: "Amadeus Travel API",
    type: "amadeus",
    version: "0.2.0",
    description: "Flight and hotel search and airport lookups through the Amadeus Travel API",
    category: "Travel",
    icon: "✈️",
    tags: ["travel", "flights", "hotels", "api"],
    capabilities: ["query", "flights", "hotels", "airports"],
    config_schema: {
      credentials: {
        api_key: text("Amadeus API key"),
        api_secret: text("Amadeus API secret"),
      },
      properties: {
        environment: {
          default: "test",
          description: "Which Amadeus environment to call: test or production",
          enum: ["test", "production"],
          type: "string",
        },
      },
      required: ["api_key", "api_secret"],
      type: "object",
    },
  },
  {
    id: "redis-cache",
    name: "Redis Cache",
    type: "redis",
    version: "0.2.0",
    description: "Low-latency key-value cache backed by Redis",
    category: "Cache",
    icon: "⚡",
    tags: ["cache", "redis", "kv-store", "performance"],
    capabilities: ["query", "execute", "cache", "kv-store"],
    config_schema: {
      credentials: {
        password: text("Redis password, when the server requires one"),
      },
      properties: {
        db: { default: 0, description: "Redis database index", type: "number" },
        host: text("Redis server host name"),
        port: { default: 6379, description: "Redis server port", type: "number" },
      },
      required: ["host"],
      type: "object",
    },
  },
  {
    id: "http-rest",
    name: "HTTP REST API",
    type: "http",
    version: "0.2.0",
    description: "Calls any REST API, with bearer, basic or API-key authentication",
    category: "API",
    icon: "🔌",
    tags: ["http", "rest", "api", "generic"],
    capabilities: ["query", "execute", "rest-api"],
    config_schema: {
      credentials: {
        api_key: text("API key (auth_type api-key)"),
        header_name: {
          default: "X-API-Key",
          description: "Header that carries the API key (auth_type api-key)",
          type: "string",
        },
        password: text("Password (auth_type basic)"),
        token: text("Bearer token (auth_type bearer)"),
        username: text("User name (auth_type basic)"),
      },
      properties: {
        auth_type: {
          default: "none",
          description: "How requests authenticate",
          enum: ["none", "bearer", "basic", "api-key"],
          type: "string",
        },
        base_url: text("Base URL that every request is made against"),
        headers: { description: "Extra headers sent with every request", type: "object" },
        timeout: { default: 30, description: "Request timeout, in seconds", type: "number" },
      },
      required: ["base_url"],
      type: "object",
    },
  },
  {
    id: "postgresql",
    name: "PostgreSQL Database",
    type: "postgres",
    version: "0.1.0",
    description: "Queries PostgreSQL databases over pooled connections",
    category: "Database",
    icon: "🐘",
    tags: ["database", "sql", "postgres"],
    capabilities: ["query", "execute", "transactions"],
    config_schema: {
      credentials: {
        password: text("Password of the database user"),
        username: text("Database user"),
      },
      properties: {
        database: text("Database to connect to"),
        host: text("PostgreSQL server host name"),
        port: { default: 5432, description: "PostgreSQL server port", type: "number" },
      },
      required: ["host", "database"],
      type: "object",
    },
  },
];
