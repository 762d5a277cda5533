export interface StripeTestEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, unknown> };
}
export function checkoutEvent(options: {
  tenantId: string;
  email: string;
  sessionId?: string;
  paymentIntentId?: string;
  customerId?: string;
  paymentStatus?: string;
  type?: string;
}): StripeTestEvent;
export function refundEvent(options: {
  paymentIntentId: string;
  chargeId?: string;
  amount?: number;
  amountRefunded?: number;
  refundStatus?: string;
}): StripeTestEvent;
export function disputeEvent(options: {
  paymentIntentId: string;
  chargeId?: string;
  disputeId?: string;
  type?: string;
  status?: string;
}): StripeTestEvent;
