"""The built-in CRM (client cards, leads, contacts, deals, tasks, CRM users: service.py,
cli.py) and what calls tell and ask a CRM (calls.py)."""
