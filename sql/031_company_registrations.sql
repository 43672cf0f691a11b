-- Issue 11: companies signing up (the calldocker family's /api/company-registrations).
-- A registration is not a tenant's row: it exists before its tenant, and a super_admin
-- approves it (PUT /:id/approve creates the tenant, its admin user, default departments and
-- a chat widget in one transaction, and sets tenant_id) or rejects it with a reason.
-- password_hash is the admin's argon2id hash, taken over by the user row on approval; the
-- password is never stored or answered in clear.
CREATE TABLE IF NOT EXISTS company_registrations (
    id VARCHAR(64) NOT NULL,
    company_name VARCHAR(255) NOT NULL,
    domain VARCHAR(255) NULL,
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    email VARCHAR(255) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    phone VARCHAR(32) NOT NULL,
    status ENUM('pending','approved','rejected') NOT NULL DEFAULT 'pending',
    rejection_reason VARCHAR(1000) NULL,
    tenant_id VARCHAR(64) NULL,
    reviewed_by VARCHAR(64) NULL,
    reviewed_at DATETIME NULL,
    ip_address VARCHAR(45) NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_company_registrations_status (status, created_at, id),
    KEY idx_company_registrations_created (created_at, id),
    KEY idx_company_registrations_tenant (tenant_id),
    CONSTRAINT fk_company_registrations_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- The platform admin's activity (GET /api/admin/dashboard/activity): every company's audit
-- log, newest first, read down this index rather than sorted.
CREATE INDEX IF NOT EXISTS idx_audit_logs_time ON audit_logs (created_at, id);
