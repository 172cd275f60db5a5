CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"order_id" text,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"source_event_id" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notifications_kind_known" CHECK ("notifications"."kind" in ('WELCOME', 'ORDER_PLACED', 'ORDER_CONFIRMED', 'ORDER_REJECTED', 'ORDER_CANCELLED')),
	CONSTRAINT "notifications_order_iff_order_kind" CHECK (("notifications"."order_id" is null) = ("notifications"."kind" = 'WELCOME'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_order_kind_key" ON "notifications" USING btree ("order_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_account_kind_key" ON "notifications" USING btree ("user_id","kind") WHERE "notifications"."order_id" is null;--> statement-breakpoint
CREATE INDEX "notifications_feed_idx" ON "notifications" USING btree ("user_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);