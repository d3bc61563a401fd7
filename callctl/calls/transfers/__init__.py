"""Transfers of a call in its talk phase: the transfer itself (transfer.py), the stage it
is at kept on Asterisk's channels (marks.py), and a restarted daemon going on with a
transfer it finds half done (resume.py)."""
from .transfer import (DONE, GRACE_S, HANDOVER, TRANSFER_REQUEST, Busy, Transfer, refuse,
                       start)

__all__ = ["DONE", "GRACE_S", "HANDOVER", "TRANSFER_REQUEST", "Busy", "Transfer", "refuse",
           "start"]
