-- The chain of duties behind an obligation: e.g. the court tells the witness care unit within 5
-- working days, then the WCU tells the victim within 1 working day of receiving it (Victims' Code Right 9).
ALTER TABLE entries ADD COLUMN steps jsonb;
