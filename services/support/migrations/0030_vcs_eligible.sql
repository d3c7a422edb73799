-- Whether the sentence owes the victim the Victim Contact Scheme (DVCVA 2004 s35), as court decided it
-- (sentence.imposed `vcs_eligible`); custody_months alone cannot tell (suspended, offence not violent).
ALTER TABLE cases ADD COLUMN vcs_eligible boolean;
UPDATE cases SET vcs_eligible = true WHERE custody_months >= 12;
