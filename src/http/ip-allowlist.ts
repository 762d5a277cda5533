/**
 * Source-IP allow-lists (the Stripe webhook's, platform.md §3.1): a CSV of IPv4/IPv6 addresses and
 * CIDR ranges; `*`, `0.0.0.0/0` or `::/0` switch the check off. Parsing and matching use ipaddr.js.
 */
import ipaddr from "ipaddr.js";

/** Stripe's webhook source addresses, the default list. */
export const STRIPE_WEBHOOK_IPS = [
  "3.18.12.63",
  "3.130.192.231",
  "13.235.14.237",
  "13.235.122.149",
  "18.211.135.69",
  "35.154.171.200",
  "52.15.183.38",
  "54.88.130.119",
  "54.88.130.237",
  "54.187.174.169",
  "54.187.205.235",
  "54.187.216.72",
];

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface IpAllowlist {
  allows(ip: string): boolean;
}

const singleAddress = (address: ipaddr.IPv4 | ipaddr.IPv6): Range => [address, address.kind() === "ipv4" ? 32 : 128];

/** A list entry as a range, with IPv4-mapped IPv6 (`::ffff:1.2.3.0/120`) turned into IPv4. */
function toRange(entry: string): Range | undefined {
  try {
    const [address, prefix]: Range = entry.includes("/") ? ipaddr.parseCIDR(entry) : singleAddress(ipaddr.parse(entry));
    if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
      return [(address as ipaddr.IPv6).toIPv4Address(), Math.max(0, prefix - 96)];
    }
    return [address, prefix];
  } catch {
    return undefined;
  }
}

export type AllowlistParse = { ok: true; allowlist: IpAllowlist } | { ok: false; entry: string };

/** Parses the CSV (undefined → the Stripe defaults). Reports the first malformed entry. */
export function parseIpAllowlist(csv: string | undefined): AllowlistParse {
  const entries = (csv ?? STRIPE_WEBHOOK_IPS.join(","))
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.some((entry) => entry === "*" || entry === "0.0.0.0/0" || entry === "::/0")) {
    return { ok: true, allowlist: { allows: () => true } };
  }
  const ranges: Range[] = [];
  for (const entry of entries) {
    const range = toRange(entry);
    if (!range) return { ok: false, entry };
    ranges.push(range);
  }
  return {
    ok: true,
    allowlist: {
      allows(ip) {
        let address: ipaddr.IPv4 | ipaddr.IPv6;
        try {
          // process() also turns an IPv4-mapped IPv6 address into IPv4, as toRange does.
          address = ipaddr.process(ip);
        } catch {
          return false;
        }
        return ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
      },
    },
  };
}
