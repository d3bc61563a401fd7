"""Operations beside an existing Asterisk: its config snippets, the doctor, backup and
restore, and the service manager's readiness protocol."""
