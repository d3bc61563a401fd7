"""A transfer a restarted daemon finds half done: what its stage mark says, and how it goes on.

While a transfer is under way the daemon keeps its stage on the transferee's channel (a
`TransferMark`: Asterisk keeps it when the daemon dies). A restarted daemon reads it back,
looks at what Asterisk still has (is the transferer's channel there, does the recipient
talk with the transferer, do recipient phones still ring) and goes on with the transfer:
`resume` says in which state, and which events happened while nobody was watching. The
attended transfer's own rules (domain/transfer.py) then decide the rest, as if the daemon
had never been away:
- a recipient still ringing is kept, and connected on answer (attended: to the transferer,
  who then completes or cancels; blind: to the transferee);
- a recipient who answered and talks with the transferer keeps talking; the transferee
  stays on hold until the transferer completes or cancels (or hangs up: completed);
- a transferee on hold whose transfer lost its recipient goes back to the transferer;
- nobody of the transfer left (transferer and recipient gone): the transferer's phones ring
  again for the transferee (the `failed` state's rule), never hold for ever.
Pure: calls/transfers/resume.py does what it says.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from urllib.parse import parse_qsl, urlencode

from .transfer import MODES, VIAS

STAGES = ("ringback", "answered", "blind")  # the states a transfer waits in


@dataclass(frozen=True)
class TransferMark:
    """A transfer's stage as kept on the transferee's channel (one channel variable)."""
    stage: str  # STAGES
    seq: int  # the transfer's number in the call
    mode: str  # MODES
    via: str  # VIAS
    transferer: str  # the transferer's channel id
    label: str = ""  # whom it rings, for the log
    ringback: str = ""  # the playback id of the transferer's ringback (attended)
    waiting: str = ""  # the playback id of the transferee's ringback (blind)
    ring_until: float = 0.0  # epoch seconds the recipient's phones stop ringing
    party: str = ""  # who the transferer is (their phones ring again if need be)

    def encode(self) -> str:
        return urlencode({k: v for k, v in asdict(self).items() if v not in ("", 0.0)})

    @classmethod
    def decode(cls, text: str) -> TransferMark | None:
        """None for an empty or unreadable mark (a restarted daemon then ignores it)."""
        if not text:
            return None
        values = dict(parse_qsl(text, keep_blank_values=True))
        known = {f.name for f in fields(cls)}
        try:
            mark = cls(**{k: v for k, v in values.items() if k in known})
            mark = cls(**{**asdict(mark), "seq": int(mark.seq),
                          "ring_until": float(mark.ring_until)})
        except (TypeError, ValueError):
            return None
        if mark.stage not in STAGES or mark.mode not in MODES or mark.via not in VIAS \
                or mark.seq < 1 or not mark.transferer:
            return None
        return mark


@dataclass(frozen=True)
class Found:
    """What Asterisk still has of a transfer when the daemon comes back."""
    transferer: bool  # the transferer's channel is there
    talking: bool  # a recipient who answered is still there (the consultation)
    ringing: int  # recipient phones still ringing


def resume(stage: str, found: Found) -> tuple[str, tuple[str, ...]]:
    """(the state the transfer goes on in, the events it missed, in order)."""
    if stage == "ringback":
        missed = () if found.transferer else ("transferer_gone",)
        return stage, missed + (() if found.ringing else ("declined",))
    if stage == "answered":
        if found.transferer:
            return stage, () if found.talking else ("recipient_gone",)
        if found.talking:
            return stage, ("transferer_gone",)  # completed: the transferee gets the recipient
        return "blind", ("declined",)  # both gone: failed, the transferer's phones ring again
    if stage == "blind":
        return stage, () if found.ringing else ("declined",)
    raise ValueError(f"stage {stage!r}: not one of {', '.join(STAGES)}")
