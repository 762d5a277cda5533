import { describe, expect, it } from "vitest";
import type { ValidatorId } from "../../src/policy/system-policies";
import { acceptsHit } from "../../src/policy/validators";

/** Runs `validator` on the `occurrence`-th copy of `hit` inside `text`. */
function verdict(validator: ValidatorId, text: string, hit: string, occurrence = 0): boolean {
  let start = -1;
  for (let i = 0; i <= occurrence; i++) {
    start = text.indexOf(hit, start + 1);
    if (start < 0) throw new Error(`${JSON.stringify(hit)} #${occurrence} not in ${JSON.stringify(text)}`);
  }
  return acceptsHit(validator, text, start, start + hit.length);
}

/** [text, hit, accepted]: most cases come from the reference's own validator tests, with the value placed in the text. */
type Case = readonly [text: string, hit: string, accepted: boolean];

function table(validator: ValidatorId, cases: readonly Case[]): void {
  it.each(cases)("%j, hit %j → %s", (text, hit, accepted) => {
    expect(verdict(validator, text, hit)).toBe(accepted);
  });
}

describe("credit_card: 13–19 digits + Luhn, context never rejects", () => {
  table("credit_card", [
    ["card number 4111111111111111", "4111111111111111", true],
    ["credit card payment 5500000000000004", "5500000000000004", true],
    ["amex card 340000000000009", "340000000000009", true],
    ["card details 4111 1111 1111 1111", "4111 1111 1111 1111", true],
    ["payment method 4111-1111-1111-1111", "4111-1111-1111-1111", true],
    ["phone number for contact 4111111111111111", "4111111111111111", true],
    ["order id 4111111111111111", "4111111111111111", true],
    ["4111111111111112", "4111111111111112", false],
    ["1234567890123456", "1234567890123456", false],
    ["411111111111", "411111111111", false],
    ["41111111111111111111", "41111111111111111111", false],
    // sys_pii_booking_ref resolves to this validator and can never pass it (at most six digits).
    ["booking ref: AB1234", "booking ref: AB1234", false],
  ]);

  it("keeps scanning past a refused occurrence: each hit is judged on its own", () => {
    const text = "charge 4111111111111112 then charge 4111111111111111 please";
    expect(verdict("credit_card", text, "4111111111111112")).toBe(false);
    expect(verdict("credit_card", text, "4111111111111111")).toBe(true);
  });
});

describe("ssn: SSA structure, then context score (refused at ≤ 0.3)", () => {
  table("ssn", [
    ["ssn field 123-45-6789", "123-45-6789", true],
    ["social security number 123456789", "123456789", true],
    ["SSN: 123 45 6789", "123 45 6789", true],
    ["Please provide your SSN 123-45-6789", "123-45-6789", true],
    ["123-45-6789", "123-45-6789", true],
    ["000-12-3456", "000-12-3456", false],
    ["666-12-3456", "666-12-3456", false],
    ["900-12-3456", "900-12-3456", false],
    ["999-12-3456", "999-12-3456", false],
    ["123-00-4567", "123-00-4567", false],
    ["123-45-0000", "123-45-0000", false],
    ["order number 123-45-6789", "123-45-6789", false],
    ["order 123-45-6789", "123-45-6789", false],
    ["123-45-6789 is the zip", "123-45-6789", false],
    ["our SKU list: 123-45-6789", "123-45-6789", false],
    // A positive word outweighs a negative one: 0.95 − 0.3 and 0.8 − 0.3 stay above 0.3.
    ["ssn on the order form 123-45-6789", "123-45-6789", true],
    ["employee order 123-45-6789", "123-45-6789", true],
    ["taxpayer account 123-45-6789", "123-45-6789", true],
  ]);

  it("reads context words only within 50 UTF-8 bytes of the hit", () => {
    const far = `order ${"x".repeat(50)} 123-45-6789`;
    expect(verdict("ssn", far, "123-45-6789")).toBe(true);
    const near = `order ${"x".repeat(40)} 123-45-6789`;
    expect(verdict("ssn", near, "123-45-6789")).toBe(false);
  });

  it("counts the window in bytes, not UTF-16 units", () => {
    // "order" + 23 × "é" (46 bytes) + " ": 52 bytes before the hit, so the window starts inside "order".
    expect(verdict("ssn", `order${"é".repeat(23)} 123-45-6789`, "123-45-6789")).toBe(true);
    // With 22 × "é" it is exactly 50 bytes and the whole word is in the window.
    expect(verdict("ssn", `order${"é".repeat(22)} 123-45-6789`, "123-45-6789")).toBe(false);
  });
});

describe("bank_account: ABA routing checksum + 17–26 digits", () => {
  table("bank_account", [
    ["bank account 322271627123456789", "322271627123456789", true],
    ["wire transfer 322271627-123456789", "322271627-123456789", true],
    ["account 02100002112345678", "02100002112345678", true],
    ["02100002112345678", "02100002112345678", true],
    ["123456789-12345678", "123456789-12345678", false],
    ["0210000211234567", "0210000211234567", false],
  ]);
});

describe("iban: mod-97", () => {
  table("iban", [
    ["bank account DE89370400440532013000", "DE89370400440532013000", true],
    ["transfer to GB82WEST12345698765432", "GB82WEST12345698765432", true],
    ["FR7630006000011234567890189", "FR7630006000011234567890189", true],
    ["iban GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32", true],
    ["DE89370400440532013001", "DE89370400440532013001", false],
    ["GB82WEST12345698765433", "GB82WEST12345698765433", false],
    ["DE8937040044", "DE8937040044", false],
    ["XX89370400440532013000", "XX89370400440532013000", false],
    ["DEAB370400440532013000", "DEAB370400440532013000", false],
  ]);
});

describe("pan: AAAPA9999A with a holder-type 4th letter", () => {
  table("pan", [
    ["PAN card ABCPD1234E", "ABCPD1234E", true],
    ["pan number ABCCD1234E", "ABCCD1234E", true],
    ["ABCHD1234E", "ABCHD1234E", true],
    ["ABCTD1234E", "ABCTD1234E", true],
    ["ABCXD1234E", "ABCXD1234E", false],
    ["A1CPD1234E", "A1CPD1234E", false],
    ["ABCPD123E", "ABCPD123E", false],
    ["ABCPD12345E", "ABCPD12345E", false],
    ["ABCPDABCDE", "ABCPDABCDE", false],
    // The row's `PAN[:\s]+…` alternative yields a hit longer than ten characters, which the reference refuses.
    ["PAN: ABCPD1234E", "PAN: ABCPD1234E", false],
  ]);
});

describe("aadhaar: 12 digits and an adjacent Aadhaar/UID label", () => {
  table("aadhaar", [
    ["aadhaar number 234567890123", "234567890123", true],
    ["Aadhaar: 2345 6789 0123", "2345 6789 0123", true],
    ["UID 912345678901", "912345678901", true],
    ["customer aadhaar 234567890123 on file", "234567890123", true],
    ["unique id no. 234567890123", "234567890123", true],
    // The label inside the hit (the row's `aadhaar[:\s]+…` / `UID[:\s]+…` alternatives).
    ["customer aadhaar 234567890123 on file", "aadhaar 234567890123", true],
    ["id Aadhaar: 2345 6789 0123", "Aadhaar: 2345 6789 0123", true],
    ["barcode 234567890123 scanned", "234567890123", false],
    ["credit card number 234567890123", "234567890123", false],
    ["the aadhaar programme; ref 234567890123 here", "234567890123", false],
    ["234567890123", "234567890123", false],
    // A "uid" cut out of a longer word does not label the number.
    ["the liquid 234567890123 sample", "uid 234567890123", false],
    ["squid 234567890123 count", "uid 234567890123", false],
    ["aadhaar 012345678901", "012345678901", false],
    ["aadhaar 112345678901", "112345678901", false],
    ["aadhaar 222222222222", "222222222222", false],
    ["aadhaar 23456789012", "23456789012", false],
  ]);
});

describe("email: the row's shape, anchored", () => {
  table("email", [
    ["user@example.com", "user@example.com", true],
    ["mail user.name@example.com", "user.name@example.com", true],
    ["user+tag@example.com", "user+tag@example.com", true],
    ["user@mail.example.com", "user@mail.example.com", true],
    ["x@mailinator.com", "x@mailinator.com", true],
    ["userexample.com", "userexample.com", false],
    ["user@", "user@", false],
    ["user@example", "user@example", false],
  ]);
});

describe("phone: 7–15 digits, refused below 0.4", () => {
  table("phone", [
    ["phone 555-123-4567", "555-123-4567", true],
    ["call us (555) 123-4567", "(555) 123-4567", true],
    ["tel: +1-555-123-4567", "+1-555-123-4567", true],
    ["phone 415-555-0132", "415-555-0132", true],
    ["555-123-4567", "555-123-4567", true],
    ["reach me on +65 9123 4567", "+65 9123 4567", true],
    ["12345", "12345", false],
    ["1111111111", "1111111111", false],
    // 0.6 − 0.2 is just under 0.4: a negative word alone refuses.
    ["zip code 555-123-4567", "555-123-4567", false],
    ["order id 555-123-4567", "555-123-4567", false],
    ["price: 555-123-4567", "555-123-4567", false],
    // A positive word lifts it to 0.85 first (0.85 − 0.2 passes).
    ["mobile, not the zip code: 555-123-4567", "555-123-4567", true],
  ]);

  it("lower-cases U+0130 the Go way (İD → id, a negative word)", () => {
    expect(verdict("phone", "İD 555-123-4567", "555-123-4567")).toBe(false);
  });
});

describe("ip_address: octets ≤ 255, not special-use, no version label before it", () => {
  table("ip_address", [
    ["ip address 8.8.8.8", "8.8.8.8", true],
    ["server 192.168.1.1", "192.168.1.1", true],
    ["ip 192.168.1.1", "192.168.1.1", true],
    ["10.0.0.1", "10.0.0.1", true],
    ["172.16.0.1", "172.16.0.1", true],
    ["100.128.0.1", "100.128.0.1", true],
    ["server 54.210.8.7 responded", "54.210.8.7", true],
    ["deployed to 54.210.8.7 this version", "54.210.8.7", true],
    ["please release 54.210.8.7 to prod", "54.210.8.7", true],
    ["kicked off the build 10.0.0.5 host", "10.0.0.5", true],
    ["192.168.1.300", "192.168.1.300", false],
    ["256.1.1.1", "256.1.1.1", false],
    ["1.2.3", "1.2.3", false],
    ["version 1.2.3.4", "1.2.3.4", false],
    ["build version 10.20.30.40 in prod", "10.20.30.40", false],
    ['{"ver":"10.20.30.40"}', "10.20.30.40", false],
    ['{"version": "10.20.30.40"}', "10.20.30.40", false],
    ["firmware 1.2.3.4 installed", "1.2.3.4", false],
    ["semver 2.5.10.1 tag", "2.5.10.1", false],
    ["Revision: 8.8.4.4", "8.8.4.4", false],
    // Special-use ranges are never a person's address.
    ["connect to 127.0.0.1", "127.0.0.1", false],
    ["0.0.0.0", "0.0.0.0", false],
    ["metadata 169.254.169.254", "169.254.169.254", false],
    ["100.64.0.1", "100.64.0.1", false],
    ["100.127.255.255", "100.127.255.255", false],
    ["224.0.0.1", "224.0.0.1", false],
    ["255.255.255.255", "255.255.255.255", false],
    ["192.0.2.10", "192.0.2.10", false],
    ["198.51.100.7", "198.51.100.7", false],
    ["server 203.0.113.7 responded", "203.0.113.7", false],
  ]);
});

describe("passport: 1–2 letters + 6–9 digits, passport label right before it", () => {
  table("passport", [
    ["passport number A1234567 issued in 2020", "A1234567", true],
    ["travel document GB1234567", "GB1234567", true],
    ["passport no X1234567", "X1234567", true],
    ["Passport No.: AB1234567", "AB1234567", true],
    ["order X1234567 shipped today", "X1234567", false],
    ["reference A1234567 for the case", "A1234567", false],
    ["passport ABC1234567", "ABC1234567", false],
    ["passport A12345", "A12345", false],
    ["passport copy 1A234567", "1A234567", false],
    ["passporting goods A1234567", "A1234567", false],
    ["the passport office returned form A1234567", "A1234567", false],
    ["X1234567", "X1234567", false],
  ]);

  it("matches the label with RE2 semantics: (?i) folds ſ onto s, \\s excludes NBSP", () => {
    expect(verdict("passport", "paſſport X1234567", "X1234567")).toBe(true);
    expect(verdict("passport", "passport\u00a0X1234567", "X1234567")).toBe(false);
  });

  it("reads the label left of the FIRST copy of the value in the window, as the reference", () => {
    expect(verdict("passport", "passport X1234567 and order X1234567", "X1234567", 1)).toBe(true);
    expect(verdict("passport", "order X1234567; passport X1234567", "X1234567", 1)).toBe(false);
  });
});

describe("dob: a birth-date label right before the date", () => {
  table("dob", [
    ["date of birth 01/15/1990", "01/15/1990", true],
    ["DOB: 01/15/1990", "01/15/1990", true],
    ["born on 12/25/2023", "12/25/2023", true],
    ["date of birth is 03/04/1990", "03/04/1990", true],
    ["d.o.b. 01/01/1990", "01/01/1990", true],
    ["Birthdate - 1990/01/15", "1990/01/15", true],
    ["invoice due 01/15/1990 net30", "01/15/1990", false],
    ["meeting on 12/25/2023", "12/25/2023", false],
    ["Adobe Acrobat license 01/02/2025", "01/02/2025", false],
    ["Division airborne 03/04/2020", "03/04/2020", false],
    ["Project Reborn ships 05/06/2021", "05/06/2021", false],
    ["the company was born in 2018, invoice 03/04/2025", "03/04/2025", false],
  ]);
});

describe("singapore_nric / singapore_fin: an NRIC/FIN label right before it (no check letter)", () => {
  const nric: readonly Case[] = [
    ["NRIC S1234567Z on file", "S1234567Z", true],
    ["nric: T7654321A", "T7654321A", true],
    ["national registration S1234567Z", "S1234567Z", true],
    // The reference verifies no check letter: S1234567D is the valid one, A and Z are not, all are accepted.
    ["NRIC S1234567D", "S1234567D", true],
    ["NRIC S1234567A", "S1234567A", true],
    ["asset tag S1234567Z warehouse", "S1234567Z", false],
    ["order T7654321A shipped", "T7654321A", false],
    ["bin M0000000B is full", "M0000000B", false],
    ["the NRIC field; sku S1234567Z here", "S1234567Z", false],
    ["replace the fin S1234567Z on the shark", "S1234567Z", false],
    ["S1234567D", "S1234567D", false],
  ];
  describe("nric", () => table("singapore_nric", nric));
  describe("fin", () =>
    table("singapore_fin", [
      ["FIN: F1234567X recorded", "F1234567X", true],
      ["FIN no. F1234567X", "F1234567X", true],
      ["foreign identification number G7654321A", "G7654321A", true],
      ["asset tag F1234567X in bin", "F1234567X", false],
      ["order G7654321A on shelf", "G7654321A", false],
      ["replace the fin F1234567X on the shark", "F1234567X", false],
      ["FIN F1234567X recorded", "F1234567X", false],
    ]));
});

describe("singapore_uen: structured form alone, broad form with a UEN label", () => {
  table("singapore_uen", [
    ["registered as T09LL0001B", "T09LL0001B", true],
    ["S98LL1234C", "S98LL1234C", true],
    ["UEN 12345678X", "12345678X", true],
    ["unique entity number 123456789A", "123456789A", true],
    ["UEN 201612345K", "201612345K", true],
    ["ACRA: 201612345K", "201612345K", true],
    ["invoice number 12345678X total 42", "12345678X", false],
    ["see order 201912345A for details", "201912345A", false],
    ["the UEN registry lists 12345678X somewhere", "12345678X", false],
  ]);
});

describe("singapore_postal: a Singapore/postal label right before it", () => {
  table("singapore_postal", [
    ["Singapore 408600 office", "408600", true],
    ["postal code 408600", "408600", true],
    ["postcode: 408600", "408600", true],
    ["S'pore 238823", "238823", true],
    ["avg order value 369318 rupiah", "369318", false],
    ["transaction count 123456 this quarter", "123456", false],
    ["invoice 408600 paid", "408600", false],
    ["shipped to Singapore last week 408600", "408600", false],
  ]);
});
