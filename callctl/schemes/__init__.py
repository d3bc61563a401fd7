"""Forwarding schemes stored in the database, assigned to company numbers, simulated.

The rules live in `callctl.domain.scheme` (validation) and `callctl.domain.planner` (the
walk); `SchemeService` stores them. Its `usage_checkers()` and `rename_hooks()` keep the
directory from deleting what schemes ring: callctl/project/services.py wires them in.
"""
from .service import NotFound, SchemeService

__all__ = ["NotFound", "SchemeService"]
