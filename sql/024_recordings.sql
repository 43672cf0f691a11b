-- Issue 10: call recordings (coldcaller's /api/calls/:id/recording…).
-- call_id: the call a recording is of; one recording per call (a new upload replaces the
--   old one), hence the unique key (rows of other sources keep call_id NULL). No FK: a
--   recording is history and its call may be purged first.
-- The file lives under the configured recordings_dir as file_path
--   (<tenant>/<yyyy>/<mm>/<dd>/<recording id>.<ext>); '' while the call is still being
--   recorded (status 'recording', then 'processing' until the audio is uploaded), and for a
--   recording Twilio holds (storage 'twilio').
-- recording_sid, remote_url: Twilio's RecordingSid and RecordingUrl from its recording
--   status callback; the audio is not fetched from there.
ALTER TABLE recordings
    ADD COLUMN IF NOT EXISTS call_id VARCHAR(64) NULL AFTER tenant_id,
    ADD COLUMN IF NOT EXISTS sample_rate INT NULL AFTER duration,
    ADD COLUMN IF NOT EXISTS channels INT NULL AFTER sample_rate,
    ADD COLUMN IF NOT EXISTS recording_sid VARCHAR(64) NULL AFTER call_sid,
    ADD COLUMN IF NOT EXISTS remote_url VARCHAR(1024) NULL AFTER storage;
CREATE UNIQUE INDEX IF NOT EXISTS uq_recordings_tenant_call ON recordings (tenant_id, call_id);
CREATE INDEX IF NOT EXISTS idx_recordings_tenant_format ON recordings (tenant_id, format, created_at);

-- A tenant's retention: recordings expire retention_days after they were made (the clock
-- deletes them); no row, or NULL, keeps them until deleted.
CREATE TABLE IF NOT EXISTS recording_settings (
    tenant_id VARCHAR(64) NOT NULL,
    retention_days INT NULL,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id),
    CONSTRAINT chk_recording_settings_days CHECK (retention_days IS NULL OR retention_days BETWEEN 1 AND 36500),
    CONSTRAINT fk_recording_settings_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
