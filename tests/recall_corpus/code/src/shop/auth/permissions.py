"""Role-based permissions checked by API handlers."""

from enum import Enum


class Role(str, Enum):
    CUSTOMER = "customer"
    SUPPORT = "support"
    ADMIN = "admin"


PERMISSIONS = {
    Role.CUSTOMER: {"orders:read:own", "orders:write:own", "profile:write:own"},
    Role.SUPPORT: {"orders:read:any", "refunds:create", "profile:read:any"},
    Role.ADMIN: {"*"},
}


def has_permission(role: Role, permission: str) -> bool:
    granted = PERMISSIONS.get(role, set())
    return "*" in granted or permission in granted


def require(role: Role, permission: str) -> None:
    if not has_permission(role, permission):
        raise PermissionError(permission)


def can_impersonate(actor: Role, target: Role) -> bool:
    # Support may act as customers only; nobody impersonates an admin.
    return actor == Role.ADMIN and target != Role.ADMIN or actor == Role.SUPPORT and target == Role.CUSTOMER
