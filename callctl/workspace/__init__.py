"""The operator workspace: live events for the page, and what the page asks for."""
