import { formatCount, PRICING_URL, PRO_OFFER, REGISTRATION, TIERS } from "../../tiers";

/** The `note` of a successful registration, built from the product numbers (platform.md §1.1). */
export function registrationNote(): string {
  const free = TIERS.Free;
  const pro = TIERS.Pro;
  return (
    `Free tier: ${free.auditRetentionDays}-day audit retention, ${formatCount(free.dailyEvents)} events/day. ` +
    `Tenants are deprovisioned after ${REGISTRATION.inactivityMonths} months of inactivity, or 1 year from creation regardless of activity (data disassociated, tenant terminated). ` +
    `Plugin Pro upgrades to ${pro.auditRetentionDays}-day retention and ${formatCount(pro.dailyEvents)} events/day for ${PRO_OFFER.validityDays} days (${PRO_OFFER.price}) — see ${PRICING_URL}.`
  );
}
