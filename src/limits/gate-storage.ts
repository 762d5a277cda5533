/**
 * The tenant gate's SQLite tables (Durable Object storage), beside its KV counters:
 *
 *   outbox(seq, record)            governance records not yet in Postgres, oldest first
 *   idempotency(key, …, expires)   stored responses for `Idempotency-Key` replays (24 h)
 *   mcp_sessions(id, …, expires)   MCP sessions handed out by `initialize` (24 h)
 *
 * Every method is synchronous (SQLite-backed storage), so callers can use them between awaits
 * without losing the gate's atomicity.
 */
import type { GovernanceRecord } from "../audit/records";
import type { IdempotencyLookup, SessionRecord, StoredResponse } from "../rpc/tenant-gate";

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
export const SESSION_TTL_MS = 24 * 3_600_000;

export class GateTables {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
      content_type TEXT NOT NULL, body TEXT NOT NULL, expires_ms INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS mcp_sessions (
      id TEXT PRIMARY KEY, protocol_version TEXT NOT NULL, client_name TEXT NOT NULL,
      created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL)`);
  }

  enqueue(records: readonly GovernanceRecord[]): void {
    for (const record of records) this.sql.exec("INSERT INTO outbox (record) VALUES (?)", JSON.stringify(record));
  }

  /** The oldest `limit` records and the last sequence number among them. */
  peek(limit: number): { records: GovernanceRecord[]; lastSeq: number } {
    const rows = this.sql
      .exec<{ seq: number; record: string }>("SELECT seq, record FROM outbox ORDER BY seq LIMIT ?", limit)
      .toArray();
    return {
      records: rows.map((row) => JSON.parse(row.record) as GovernanceRecord),
      lastSeq: rows.at(-1)?.seq ?? 0,
    };
  }

  /** Drops records up to `lastSeq` once they are in Postgres. */
  acknowledge(lastSeq: number): void {
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", lastSeq);
  }

  outboxSize(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
  }

  lookupIdempotency(key: string, fingerprint: string, nowMs: number): IdempotencyLookup {
    const row = this.sql
      .exec<{ fingerprint: string; status: number; content_type: string; body: string }>(
        "SELECT fingerprint, status, content_type, body FROM idempotency WHERE key = ? AND expires_ms > ?",
        key,
        nowMs,
      )
      .toArray()[0];
    if (!row) return { kind: "none" };
    if (row.fingerprint !== fingerprint) return { kind: "mismatch" };
    return { kind: "replay", response: { status: row.status, contentType: row.content_type, body: row.body } };
  }

  /** Keeps the first response stored under a key (a concurrent duplicate does not replace it). */
  storeIdempotency(key: string, fingerprint: string, response: StoredResponse, nowMs: number): void {
    this.sql.exec(
      `INSERT INTO idempotency (key, fingerprint, status, content_type, body, expires_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
         content_type = excluded.content_type, body = excluded.body, expires_ms = excluded.expires_ms
       WHERE idempotency.expires_ms <= ?`,
      key,
      fingerprint,
      response.status,
      response.contentType,
      response.body,
      nowMs + IDEMPOTENCY_TTL_MS,
      nowMs,
    );
  }

  createSession(session: SessionRecord, nowMs: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO mcp_sessions (id, protocol_version, client_name, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
      session.id,
      session.protocolVersion,
      session.clientName,
      nowMs,
      nowMs + SESSION_TTL_MS,
    );
  }

  sessionActive(id: string, nowMs: number): boolean {
    return this.sql.exec("SELECT 1 FROM mcp_sessions WHERE id = ? AND expires_ms > ?", id, nowMs).toArray().length > 0;
  }

  /** Ends a session; false when there was no live one. */
  endSession(id: string, nowMs: number): boolean {
    const live = this.sessionActive(id, nowMs);
    this.sql.exec("DELETE FROM mcp_sessions WHERE id = ?", id);
    return live;
  }

  /** Deletes expired idempotency records and sessions; returns the next expiry still ahead, if any. */
  sweepExpired(nowMs: number): number | undefined {
    this.sql.exec("DELETE FROM idempotency WHERE expires_ms <= ?", nowMs);
    this.sql.exec("DELETE FROM mcp_sessions WHERE expires_ms <= ?", nowMs);
    const next = this.sql
      .exec<{ next: number | null }>(
        "SELECT min(m) AS next FROM (SELECT min(expires_ms) AS m FROM idempotency UNION ALL SELECT min(expires_ms) FROM mcp_sessions)",
      )
      .one().next;
    return next ?? undefined;
  }
}
