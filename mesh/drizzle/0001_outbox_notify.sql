-- Wakes the outbox relays on commit: every statement that adds outbox rows sends one notification
-- on `weft_outbox`, delivered to the database's listeners when (and only if) its transaction
-- commits. Once per statement, and PostgreSQL folds identical notifications of one transaction.
CREATE OR REPLACE FUNCTION "weft_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('weft_outbox', '');
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER "outbox_notify" AFTER INSERT ON "outbox" FOR EACH STATEMENT EXECUTE FUNCTION "weft_outbox_notify"();
