CREATE TABLE "adjustments" (
	"id" text PRIMARY KEY NOT NULL,
	"idempotency_key" text,
	"product_id" text NOT NULL,
	"delta" bigint NOT NULL,
	"reason" text NOT NULL,
	"on_hand_after" bigint,
	"reserved_after" bigint,
	"version_after" bigint,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "adjustments_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "adjustments_delta_non_zero" CHECK ("adjustments"."delta" <> 0)
);
--> statement-breakpoint
CREATE TABLE "reservation_lines" (
	"reservation_id" text NOT NULL,
	"product_id" text NOT NULL,
	"quantity" integer NOT NULL,
	CONSTRAINT "reservation_lines_reservation_id_product_id_pk" PRIMARY KEY("reservation_id","product_id"),
	CONSTRAINT "reservation_lines_quantity_positive" CHECK ("reservation_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"state" text NOT NULL,
	"expire_time" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "reservations_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "reservations_state_known" CHECK ("reservations"."state" in ('ACTIVE', 'RELEASED', 'COMMITTED', 'EXPIRED', 'RESTOCKED'))
);
--> statement-breakpoint
CREATE TABLE "stock" (
	"product_id" text PRIMARY KEY NOT NULL,
	"on_hand" bigint NOT NULL,
	"reserved" bigint NOT NULL,
	"version" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "stock_on_hand_non_negative" CHECK ("stock"."on_hand" >= 0),
	CONSTRAINT "stock_reserved_non_negative" CHECK ("stock"."reserved" >= 0),
	CONSTRAINT "stock_available_non_negative" CHECK ("stock"."on_hand" - "stock"."reserved" >= 0),
	CONSTRAINT "stock_version_positive" CHECK ("stock"."version" > 0)
);
--> statement-breakpoint
ALTER TABLE "reservation_lines" ADD CONSTRAINT "reservation_lines_reservation_fk" FOREIGN KEY ("reservation_id") REFERENCES "public"."reservations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reservations_active_expiry_idx" ON "reservations" USING btree ("expire_time") WHERE "reservations"."state" = 'ACTIVE';