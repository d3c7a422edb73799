-- When the victim first gave a formal witness statement or video-recorded interview: it starts the
-- CJA 1988 s39A time limit for common assault in a domestic abuse context (docs/rules.md).
ALTER TABLE cases ADD COLUMN first_statement_at timestamptz;
