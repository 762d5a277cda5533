/**
 * The policy corpus (test/fixtures/policy-corpus/README.md): everyday developer statements are
 * never blocked, attacks are blocked by exactly the expected policies or redacted, and the
 * statements the reference's own patterns block are listed, so a change to them is visible.
 */
import { describe, expect, it } from "vitest";
import { evaluateRequest, evaluateResponse } from "../../src/policy/engine";
import { systemPolicies } from "../../src/policy/posture";
import attacks from "../fixtures/policy-corpus/attacks.json";
import benign from "../fixtures/policy-corpus/benign.json";
import knownFalsePositives from "../fixtures/policy-corpus/known-false-positives.json";

const policies = systemPolicies("block");
const DEFAULT_CONNECTOR = "claude_code.Bash";

interface Entry {
  statement: string;
  connector_type?: string;
  policies?: string[];
}

const request = (entry: Entry) =>
  evaluateRequest([policies], "mcp:request", {
    statement: entry.statement,
    connectorType: entry.connector_type ?? DEFAULT_CONNECTOR,
  });

const blockingIds = (entry: Entry) =>
  request(entry)
    .matches.filter((m) => m.action === "block")
    .map((m) => m.policy.id)
    .sort();

describe("policy corpus", () => {
  it("has the size the issue asks for", () => {
    expect(benign.length).toBeGreaterThanOrEqual(300);
    expect(attacks.length).toBeGreaterThanOrEqual(150);
  });

  it("blocks none of the everyday developer statements", () => {
    const blocked = benign
      .map((entry) => ({ statement: entry.statement, ids: blockingIds(entry) }))
      .filter((r) => r.ids.length > 0);
    expect(blocked).toEqual([]);
  });

  it("blocks every request-plane attack by exactly the expected policies", () => {
    const misses = attacks
      .filter((a) => a.plane === "request")
      .map((a) => ({ statement: a.statement, expected: [...a.policies].sort(), actual: blockingIds(a) }))
      .filter((r) => JSON.stringify(r.expected) !== JSON.stringify(r.actual));
    expect(misses).toEqual([]);
  });

  it("redacts every response-plane attack with the expected policies", () => {
    const misses = attacks
      .filter((a) => a.plane === "response")
      .map((a) => {
        const result = evaluateResponse([policies], "mcp:response", {
          connectorType: DEFAULT_CONNECTOR,
          message: a.statement,
        });
        const redacting = result.matches.filter((m) => m.action === "redact").map((m) => m.policy.id);
        return {
          statement: a.statement,
          missing: a.policies.filter((id) => !redacting.includes(id)),
          redacted: result.redactedMessage,
        };
      })
      .filter((r) => r.missing.length > 0 || r.redacted === undefined);
    expect(misses).toEqual([]);
  });

  it("still blocks the known false positives by the listed reference policies (product decisions)", () => {
    const changed = knownFalsePositives
      .map((entry) => ({
        statement: entry.statement,
        expected: [...entry.policies].sort(),
        actual: blockingIds(entry),
      }))
      .filter((r) => JSON.stringify(r.expected) !== JSON.stringify(r.actual));
    expect(changed).toEqual([]);
  });
});
