-- Issue 7: a tenant is also known by its slug (the callcenter SPA signs in with one, like
-- "demo-tenant"): its name in lower case, every run of other characters a single '-'.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS slug VARCHAR(255)
    AS (TRIM(BOTH '-' FROM REGEXP_REPLACE(LOWER(name), '[^a-z0-9]+', '-'))) PERSISTENT;
CREATE INDEX IF NOT EXISTS idx_tenants_slug ON tenants (slug);
