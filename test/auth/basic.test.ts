import { describe, expect, it } from "vitest";
import { parseBasicAuthorization } from "../../src/auth/basic";

const b64 = (text: string) => btoa(text);

describe("parseBasicAuthorization", () => {
  it("splits on the first colon", () => {
    expect(parseBasicAuthorization(`Basic ${b64("cs_a:sec:ret")}`)).toEqual({ tenantId: "cs_a", secret: "sec:ret" });
  });

  it("accepts url-safe base64 without padding and any scheme case", () => {
    const encoded = b64("cs_a:s?>").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    expect(parseBasicAuthorization(`BASIC ${encoded}`)).toEqual({ tenantId: "cs_a", secret: "s?>" });
  });

  it("reads a bare credential without scheme", () => {
    expect(parseBasicAuthorization(b64("cs_a:s"))).toEqual({ tenantId: "cs_a", secret: "s" });
  });

  it.each([
    undefined,
    "",
    "Basic ",
    "Basic",
    `Bearer ${b64("cs_a:s")}`,
    "Basic ***",
    `Basic ${b64("cs_a")}`,
    `Basic ${b64(":s")}`,
    `Basic ${b64("cs_a:")}`,
    `Basic ${btoa(String.fromCharCode(0xff, 0x3a, 0x41))}`,
  ])("treats %j as absent", (header) => {
    expect(parseBasicAuthorization(header)).toBeUndefined();
  });
});
