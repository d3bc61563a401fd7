"""Talking to the outside world: e-mail now; webhooks, CRM and SMS later."""
