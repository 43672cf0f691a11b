-- Issue 9: how a chat visitor is known without an account. session_key names the session
-- publicly (the widget's socket path /ws/public/:session_key, the agents' chat list); it
-- is random, so it is not guessable, but it is not a secret: it is shown to agents.
-- The visitor proves the session is theirs with the secret given once at start, kept
-- here only as its SHA-256 (hex), compared in constant time.
ALTER TABLE chat_sessions
    ADD COLUMN IF NOT EXISTS session_key VARCHAR(64) NULL AFTER id,
    ADD COLUMN IF NOT EXISTS visitor_secret_hash CHAR(64) CHARACTER SET ascii NULL AFTER visitor_id;
CREATE UNIQUE INDEX IF NOT EXISTS uq_chat_sessions_session_key ON chat_sessions (session_key);
