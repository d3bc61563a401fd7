"""Forwarding schemes stored in the database, assigned to company numbers, simulated.

The rules live in `callctl.domain.scheme` (validation) and `callctl.domain.planner` (the
walk); `SchemeService` stores them and keeps the directory from deleting what they ring.
"""
from .service import NotFound, SchemeService, register_usage_checkers

__all__ = ["NotFound", "SchemeService", "register_usage_checkers"]
