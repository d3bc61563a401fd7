"""A transfer a restarted daemon finds half done, the pure part: the stage mark kept on the
transferee's channel, and in which state and after which missed events the transfer goes
on for every stage and every combination of what Asterisk still has."""
import pytest

from callctl.domain.transfer import next_state
from callctl.domain.transfer_restart import STAGES, Found, TransferMark, resume

MARK = TransferMark("ringback", 2, "attended", "keypad", "callctl-c1-ab12cd34",
                    "Bob Jones (102)", ringback="callctl-pb-1", ring_until=1764500020.5,
                    party="Alice Smith")


def after(stage, found):
    """Where the transfer is once its missed events are taken."""
    state, missed = resume(stage, found)
    for event in missed:
        state = next_state(state, event)
        assert state is not None, f"{event} means nothing in that state"
    return state


def test_given_a_mark_when_encoded_and_read_back_then_it_is_the_same():
    assert TransferMark.decode(MARK.encode()) == MARK


def test_given_a_label_with_signs_when_encoded_then_it_comes_back_whole():
    mark = TransferMark("blind", 1, "blind", "api", "c", "the R&D=1 department (600)")
    assert TransferMark.decode(mark.encode()).label == mark.label


@pytest.mark.parametrize("text", [
    "",  # never marked
    "stage=ringing&seq=1&mode=blind&via=api&transferer=c",  # no such stage
    "stage=blind&seq=x&mode=blind&via=api&transferer=c",  # seq no number
    "stage=blind&seq=0&mode=blind&via=api&transferer=c",
    "stage=blind&seq=1&mode=blind&via=fax&transferer=c",
    "stage=blind&seq=1&mode=blind&via=api",  # whose transfer?
    "garbage",
])
def test_given_an_unreadable_mark_when_decoded_then_none(text):
    assert TransferMark.decode(text) is None


def test_given_a_mark_with_a_key_of_a_later_version_when_decoded_then_it_is_ignored():
    assert TransferMark.decode(MARK.encode() + "&colour=red") == MARK


# --- (a) attended, the caller on hold while the recipient rings -----------------------------

def test_given_ringback_with_everyone_there_then_the_recipient_rings_on():
    assert resume("ringback", Found(True, False, 1)) == ("ringback", ())


def test_given_ringback_whose_recipient_stopped_ringing_then_back_to_the_transferer():
    assert after("ringback", Found(True, False, 0)) == "cancelled"


def test_given_ringback_whose_transferer_hung_up_then_it_goes_on_as_blind():
    assert after("ringback", Found(False, False, 2)) == "blind"


def test_given_ringback_with_nobody_left_then_failed_and_the_transferer_is_rung_again():
    assert after("ringback", Found(False, False, 0)) == "failed"


# --- (b) attended, the consultation ---------------------------------------------------------

def test_given_a_consultation_with_both_there_then_they_talk_on_and_the_caller_waits():
    assert resume("answered", Found(True, True, 0)) == ("answered", ())


def test_given_a_consultation_whose_recipient_left_then_back_to_the_transferer():
    assert after("answered", Found(True, False, 0)) == "cancelled"


def test_given_a_consultation_whose_transferer_left_then_completed_to_the_recipient():
    assert after("answered", Found(False, True, 0)) == "completed"


def test_given_a_consultation_both_left_then_failed_and_the_transferer_is_rung_again():
    assert after("answered", Found(False, False, 0)) == "failed"


# --- (c) blind, the recipient ringing -------------------------------------------------------

def test_given_blind_ringing_then_it_rings_on_whether_or_not_the_transferer_is_there():
    assert resume("blind", Found(False, False, 1)) == ("blind", ())
    assert resume("blind", Found(True, False, 1)) == ("blind", ())


def test_given_blind_nobody_ringing_then_failed():
    assert after("blind", Found(False, False, 0)) == after("blind", Found(True, False, 0)) \
        == "failed"


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("transferer", [True, False])
@pytest.mark.parametrize("talking", [True, False])
@pytest.mark.parametrize("ringing", [0, 1])
def test_given_any_stage_when_nobody_can_answer_then_the_transferee_never_waits_for_ever(
        stage, transferer, talking, ringing):
    """With no phone ringing and nobody talking to the transferer, the transfer is over at
    once: the transferee is connected to someone (or rung for), not left on hold."""
    state = after(stage, Found(transferer, talking and stage == "answered", ringing))
    if not ringing and not (talking and stage == "answered" and transferer):
        assert state in ("cancelled", "completed", "failed")


def test_given_an_unknown_stage_then_it_says_which_there_are():
    with pytest.raises(ValueError, match="ringback, answered, blind"):
        resume("tail", Found(True, True, 0))
