ALTER TABLE "payments" DROP CONSTRAINT "payments_outcome_known";--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "claim_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_claim_while_pending" CHECK (("payments"."outcome" = 'pending') = ("payments"."claim_expires_at" is not null));--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_outcome_known" CHECK ("payments"."outcome" in ('pending', 'succeeded', 'failed'));