CREATE TABLE "attempt_throttles" (
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"failures" integer NOT NULL,
	"locked_until" timestamp (3) with time zone NOT NULL,
	"last_attempt_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "attempt_throttles_kind_subject_pk" PRIMARY KEY("kind","subject"),
	CONSTRAINT "attempt_throttles_kind_known" CHECK ("attempt_throttles"."kind" in ('login', 'sign_up')),
	CONSTRAINT "attempt_throttles_failures_non_negative" CHECK ("attempt_throttles"."failures" >= 0)
);
