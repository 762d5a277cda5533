/**
 * The parts of Stripe event objects the webhook reads (platform.md §3.3, §3.4), validated with zod.
 * Unknown fields are ignored: Stripe adds fields over time.
 */
import { z } from "zod";

export const stripeEvent = z.object({
  id: z.string(),
  type: z.string(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const idOrObject = z.union([z.string(), z.object({ id: z.string() }).transform((o) => o.id)]).nullish();

export const checkoutSession = z.object({
  id: z.string().min(1),
  customer: idOrObject,
  customer_email: z.string().nullish(),
  customer_details: z.object({ email: z.string().nullish() }).passthrough().nullish(),
  custom_fields: z
    .array(
      z
        .object({
          key: z.string(),
          type: z.string(),
          text: z.object({ value: z.string().nullish() }).passthrough().nullish(),
        })
        .passthrough(),
    )
    .nullish(),
  payment_status: z.string().nullish(),
  payment_intent: idOrObject,
});
export type CheckoutSession = z.output<typeof checkoutSession>;

export const charge = z.object({
  id: z.string().min(1),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  refunded: z.boolean().nullish(),
  payment_intent: idOrObject,
  refunds: z
    .object({ data: z.array(z.object({ id: z.string().nullish(), status: z.string().nullish() }).passthrough()) })
    .passthrough()
    .nullish(),
});
export type Charge = z.output<typeof charge>;

export const dispute = z.object({
  id: z.string().min(1),
  charge: idOrObject,
  payment_intent: idOrObject,
  status: z.string().nullish(),
});

/** Stripe slugs the Dashboard label "tenant_id" to the key `tenantid`. */
export function tenantIdOf(session: CheckoutSession): string {
  const field = session.custom_fields?.find((f) => f.key === "tenantid" && f.type === "text" && f.text);
  return field?.text?.value?.trim() ?? "";
}

export function buyerEmailOf(session: CheckoutSession): string {
  return session.customer_details?.email?.trim() || session.customer_email?.trim() || "";
}

/** Full refund ⇔ something was charged, all of it refunded, and Stripe says the refund went through. */
export function isFullRefund(c: Charge): boolean {
  const succeeded = c.refunds?.data.some((r) => r.status === "succeeded") ?? false;
  return c.amount > 0 && c.amount_refunded >= c.amount && (succeeded || c.refunded === true);
}
