"""Outgoing calls: caller-ID rules and barred SIP accounts (service, CLI). The rules
themselves are pure, in callctl.domain.outgoing."""
