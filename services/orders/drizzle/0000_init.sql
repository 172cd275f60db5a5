CREATE TABLE "order_lines" (
	"order_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"product_id" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_minor" bigint NOT NULL,
	CONSTRAINT "order_lines_order_id_line_no_pk" PRIMARY KEY("order_id","line_no"),
	CONSTRAINT "order_lines_quantity_check" CHECK ("order_lines"."quantity" between 1 and 1000),
	CONSTRAINT "order_lines_price_check" CHECK ("order_lines"."unit_price_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"idempotency_key" text,
	"status" text NOT NULL,
	"status_reason" text DEFAULT '' NOT NULL,
	"currency" text NOT NULL,
	"total_minor" bigint NOT NULL,
	"payment_id" text DEFAULT '' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "orders_status_check" CHECK ("orders"."status" in ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED')),
	CONSTRAINT "orders_total_check" CHECK ("orders"."total_minor" > 0),
	CONSTRAINT "orders_currency_check" CHECK ("orders"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "sagas" (
	"order_id" text PRIMARY KEY NOT NULL,
	"step" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"step_deadline" timestamp with time zone,
	"reservation_id" text,
	"reservation_state" text DEFAULT 'none' NOT NULL,
	"payment_id" text,
	"payment_state" text DEFAULT 'none' NOT NULL,
	"uncertain" boolean DEFAULT false NOT NULL,
	"in_flight" boolean DEFAULT false NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"cancel_note" text DEFAULT '' NOT NULL,
	"outcome_status" text,
	"outcome_reason" text,
	"payment_method" text DEFAULT '' NOT NULL,
	"last_error" text DEFAULT '' NOT NULL,
	"lease_token" text,
	"lease_until" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sagas_step_check" CHECK ("sagas"."step" in ('reserve', 'charge', 'commit', 'resolve_reserve', 'resolve_charge', 'refund', 'release', 'restock', 'done')),
	CONSTRAINT "sagas_reservation_state_check" CHECK ("sagas"."reservation_state" in ('none', 'held', 'committed', 'released', 'restocked')),
	CONSTRAINT "sagas_payment_state_check" CHECK ("sagas"."payment_state" in ('none', 'charged', 'refunded')),
	CONSTRAINT "sagas_attempts_check" CHECK ("sagas"."attempts" >= 0),
	CONSTRAINT "sagas_outcome_check" CHECK ("sagas"."outcome_status" is null or "sagas"."outcome_status" in ('REJECTED', 'CANCELLED'))
);
--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sagas" ADD CONSTRAINT "sagas_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "order_lines_product_idx" ON "order_lines" USING btree ("order_id","product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_user_idempotency_key_idx" ON "orders" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "orders_user_id_idx" ON "orders" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "sagas_due_idx" ON "sagas" USING btree ("next_attempt_at") WHERE "sagas"."step" <> 'done';