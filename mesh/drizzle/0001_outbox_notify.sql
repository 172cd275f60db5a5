-- Wakes the outbox relays on commit: every statement that adds outbox rows sends one notification
-- on `weft_outbox`, delivered to the database's listeners when (and only if) its transaction
-- commits. The payload is the statement's newest event id, so a relay that has already taken that
-- row can tell the notification is old news rather than run a round for nothing.
CREATE OR REPLACE FUNCTION "weft_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('weft_outbox', (SELECT max("id"::text) FROM "inserted"));
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "outbox_notify" AFTER INSERT ON "outbox" REFERENCING NEW TABLE AS "inserted" FOR EACH STATEMENT EXECUTE FUNCTION "weft_outbox_notify"();
