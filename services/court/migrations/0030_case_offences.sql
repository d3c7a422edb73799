-- The offence codes charged (from the charge decision): a sentence's custodial term is checked against
-- their statutory maxima and the Victim Contact Scheme depends on them. Cases charged before this
-- migration have none recorded (their terms are not checked against a maximum).
ALTER TABLE cases ADD COLUMN offences jsonb NOT NULL DEFAULT '[]'::jsonb;
