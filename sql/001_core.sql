-- Tenants, users, roles, sessions, departments, agents, audit: what auth and the
-- department routes use. Times are UTC DATETIME (every connection sets time_zone '+00:00').
-- Child tables carry tenant_id and reference their parent by (tenant_id, id), so a row can
-- never point at another tenant's parent.
-- Collation utf8mb4_uca1400_as_ci: names compare case-insensitively ("Sales" = "sales")
-- but accents and every emoji stay distinct (utf8mb4_unicode_ci weighs all emoji equal).

CREATE TABLE IF NOT EXISTS tenants (
    id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    domain VARCHAR(255) NULL,
    status ENUM('active','suspended','deleted') NOT NULL DEFAULT 'active',
    plan VARCHAR(50) NOT NULL DEFAULT 'standard',
    max_agents INT NOT NULL DEFAULT 50,
    settings JSON NULL CHECK (settings IS NULL OR JSON_VALID(settings)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_tenants_name (name),
    UNIQUE KEY uq_tenants_domain (domain),
    KEY idx_tenants_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS users (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    email VARCHAR(255) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    first_name VARCHAR(100) NULL,
    last_name VARCHAR(100) NULL,
    phone VARCHAR(32) NULL,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    last_login_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_tenant_id (tenant_id, id),
    UNIQUE KEY uq_users_tenant_email (tenant_id, email),
    KEY idx_users_email (email),
    CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS user_roles (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    role ENUM('super_admin','admin','manager','agent') NOT NULL DEFAULT 'agent',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_user_roles_user_tenant (user_id, tenant_id),
    KEY idx_user_roles_tenant_role (tenant_id, role),
    CONSTRAINT fk_user_roles_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- One row per login: the refresh-token family. `id` is the `sid` claim of every access
-- token issued in the family, so revoking the row ends those tokens too.
CREATE TABLE IF NOT EXISTS auth_sessions (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    ip_address VARCHAR(45) NULL,
    user_agent VARCHAR(255) NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at DATETIME NOT NULL,
    revoked_at DATETIME NULL,
    revoked_reason VARCHAR(32) NULL,
    PRIMARY KEY (id),
    KEY idx_auth_sessions_user (tenant_id, user_id),
    CONSTRAINT fk_auth_sessions_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Refresh tokens are stored as SHA-256 hex of the opaque token, never in clear.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash CHAR(64) CHARACTER SET ascii NOT NULL,
    session_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at DATETIME NOT NULL,
    used_at DATETIME NULL,
    PRIMARY KEY (token_hash),
    KEY idx_refresh_tokens_session (session_id),
    CONSTRAINT fk_refresh_tokens_session FOREIGN KEY (session_id) REFERENCES auth_sessions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- active_name is NULL once a department is soft-deleted, so its name can be reused.
CREATE TABLE IF NOT EXISTS departments (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    phone_number VARCHAR(20) NOT NULL,
    description TEXT NULL,
    color VARCHAR(20) NOT NULL DEFAULT 'default',
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    business_hours JSON NULL CHECK (business_hours IS NULL OR JSON_VALID(business_hours)),
    active_name VARCHAR(255) AS (IF(is_active, name, NULL)) PERSISTENT,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_departments_tenant_id (tenant_id, id),
    UNIQUE KEY uq_departments_tenant_active_name (tenant_id, active_name),
    KEY idx_departments_tenant_active_name (tenant_id, is_active, name),
    CONSTRAINT fk_departments_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS agents (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    department_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NULL,
    name VARCHAR(255) NOT NULL,
    phone_number VARCHAR(20) NOT NULL,
    email VARCHAR(255) NULL,
    status ENUM('available','busy','offline') NOT NULL DEFAULT 'offline',
    priority INT NOT NULL DEFAULT 1,
    max_concurrent_calls INT NOT NULL DEFAULT 1,
    current_calls INT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_agents_tenant_id (tenant_id, id),
    KEY idx_agents_dept_status (tenant_id, department_id, status),
    KEY idx_agents_tenant_status (tenant_id, status),
    CONSTRAINT chk_agents_priority CHECK (priority BETWEEN 1 AND 10),
    CONSTRAINT chk_agents_capacity CHECK (max_concurrent_calls >= 1 AND current_calls >= 0),
    CONSTRAINT fk_agents_department FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id) ON DELETE CASCADE,
    -- RESTRICT: MariaDB refuses SET NULL on a composite key whose tenant_id is NOT NULL,
    -- deleting a user clears agents.user_id first.
    CONSTRAINT fk_agents_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS audit_logs (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NULL,
    action VARCHAR(64) NOT NULL,
    entity_type VARCHAR(64) NOT NULL,
    entity_id VARCHAR(64) NULL,
    ip_address VARCHAR(45) NULL,
    request_id VARCHAR(64) NULL,
    details JSON NULL CHECK (details IS NULL OR JSON_VALID(details)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_audit_logs_tenant_time (tenant_id, created_at),
    KEY idx_audit_logs_entity (tenant_id, entity_type, entity_id),
    CONSTRAINT fk_audit_logs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
