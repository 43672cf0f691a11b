#include "routes.h"

/* Every route, in one place: method, path, handler, roles. docs/api.md documents each. */
const struct route route_table[] = {
    {"GET", "/health", health_live, ROLES_PUBLIC},
    {"GET", "/api/health", health_ready, ROLES_PUBLIC},
    {"GET", "/api/noop", pool_noop, ROLES_PUBLIC},

    {"POST", "/api/auth/register", auth_register, ROLES_PUBLIC},
    {"POST", "/api/auth/login", auth_login, ROLES_PUBLIC},
    {"POST", "/api/auth/refresh", auth_refresh, ROLES_PUBLIC},
    {"POST", "/api/auth/logout", auth_logout, ROLES_ANY},
    {"GET", "/api/auth/profile", auth_profile_get, ROLES_ANY},
    {"GET", "/api/auth/me", auth_profile_get, ROLES_ANY},
    {"PUT", "/api/auth/profile", auth_profile_update, ROLES_ANY},
    {"PUT", "/api/auth/me", auth_profile_update, ROLES_ANY},
    {"POST", "/api/auth/change-password", auth_change_password, ROLES_ANY},

    {"GET", "/api/tenants", tenant_list, ROLES_SUPER},
    {"POST", "/api/tenants", tenant_create, ROLES_SUPER},
    {"GET", "/api/tenants/:id", tenant_get, ROLES_SUPER},
    {"PUT", "/api/tenants/:id", tenant_update, ROLES_SUPER},
    {"PUT", "/api/tenants/:id/status", tenant_set_status, ROLES_SUPER},
    {"DELETE", "/api/tenants/:id", tenant_delete, ROLES_SUPER},

    {"GET", "/api/users", user_list, ROLES_STAFF},
    {"GET", "/api/users/search", user_search, ROLES_STAFF},
    {"POST", "/api/users", user_create, ROLES_ADMIN},
    {"GET", "/api/users/:id", user_get, ROLES_STAFF},
    {"PUT", "/api/users/:id", user_update, ROLES_ADMIN},
    {"DELETE", "/api/users/:id", user_delete, ROLES_ADMIN},
    {"PUT", "/api/users/:id/role", user_set_role, ROLES_ADMIN},
    {"POST", "/api/users/:id/activate", user_activate, ROLES_ADMIN},
    {"POST", "/api/users/:id/deactivate", user_deactivate, ROLES_ADMIN},

    {"GET", "/api/departments", department_list, ROLES_ANY},
    {"POST", "/api/departments", department_create, ROLES_STAFF},
    {"GET", "/api/departments/:id", department_get, ROLES_ANY},
    {"PUT", "/api/departments/:id", department_update, ROLES_STAFF},
    {"DELETE", "/api/departments/:id", department_delete, ROLES_STAFF},
    {"GET", "/api/departments/:id/agents", department_agents, ROLES_ANY},

    {"GET", "/api/agents", agent_list, ROLES_ANY},
    {"POST", "/api/agents", agent_create, ROLES_STAFF},
    {"GET", "/api/agents/:id", agent_get, ROLES_ANY},
    {"PUT", "/api/agents/:id", agent_update, ROLES_STAFF},
    {"DELETE", "/api/agents/:id", agent_delete, ROLES_STAFF},
    {"PUT", "/api/agents/:id/status", agent_set_status, ROLES_ANY},

    {"GET", "/api/dids", did_list, ROLES_STAFF},
    {"POST", "/api/dids", did_create, ROLES_ADMIN},
    {"GET", "/api/dids/:id", did_get, ROLES_STAFF},
    {"PUT", "/api/dids/:id", did_update, ROLES_ADMIN},
    {"DELETE", "/api/dids/:id", did_delete, ROLES_ADMIN},

    {"GET", "/api/integrations/twilio", integration_twilio_get, ROLES_ADMIN},
    {"PUT", "/api/integrations/twilio", integration_twilio_put, ROLES_ADMIN},

    {"POST", "/webhooks/twilio/call-status", webhook_twilio_call_status, ROLES_PUBLIC},

    {"POST", "/api/calls", call_create, ROLES_STAFF},
    {"GET", "/api/calls/active", call_active, ROLES_ANY},
    {"GET", "/api/calls/logs", call_logs, ROLES_ANY},
    {"POST", "/api/calls/transfer", call_transfer, ROLES_STAFF},
    {"PUT", "/api/calls/transfers/:id", transfer_update, ROLES_STAFF},
    {"GET", "/api/calls/:id", call_get, ROLES_ANY},
    {"PUT", "/api/calls/:id", call_update, ROLES_STAFF},
    {"GET", "/api/calls/:id/transfers", call_transfers, ROLES_ANY},

    {"POST", "/api/events/ticket", events_ticket, ROLES_ANY},
};

const size_t route_table_len = sizeof(route_table) / sizeof(route_table[0]);
