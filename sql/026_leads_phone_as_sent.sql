-- Issue 10: a lead's number as the client typed it ("(555) 123-4567"), echoed back to
-- coldcaller's clients beside the normalised phone the dialer and the do-not-call list use.
ALTER TABLE contacts
    ADD COLUMN IF NOT EXISTS phone_as_sent VARCHAR(64) NULL AFTER phone;
