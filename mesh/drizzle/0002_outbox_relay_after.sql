-- Rows the writing process publishes itself after commit carry "relay_after" (relays leave them
-- until then) and wake nobody: the notification is sent only for rows a relay should take now.
ALTER TABLE "outbox" ADD COLUMN IF NOT EXISTS "relay_after" timestamp with time zone;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "weft_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	newest text := (SELECT max("id"::text) FROM "inserted" WHERE "relay_after" IS NULL);
BEGIN
	IF newest IS NOT NULL THEN
		PERFORM pg_notify('weft_outbox', newest);
	END IF;
	RETURN NULL;
END
$$;
