"""Feature codes on the keypad: which digits are codes, which go on to the other party, and
what pauses decide."""
import pytest

from callctl.domain.keypad import (Abort, Begin, Command, Dial, FeatureCodes, Forward, Keypad,
                                   codes_problem)

CODES = FeatureCodes()


def talking():
    return Keypad(CODES.talking(), frozenset({"blind", "attended"}), 2.0, 5.0)


def press(pad, keys, start=0.0, step=0.1):
    out = []
    for i, key in enumerate(keys):
        out += pad.press(key, start + i * step)
    return out


def test_given_the_blind_code_and_an_extension_when_hash_ends_it_then_dial_blind():
    assert press(talking(), "##102#") == [Begin("blind"), Dial("blind", "102")]


def test_given_the_attended_code_when_the_number_is_keyed_then_dial_attended():
    assert press(talking(), "*2600#") == [Begin("attended"), Dial("attended", "600")]


def test_given_digits_that_start_no_code_when_pressed_then_they_go_on_at_once():
    pad = talking()
    assert press(pad, "5") == [Forward("5")]
    assert pad.deadline is None and pad.held == ""


def test_given_a_held_hash_when_a_digit_breaks_the_code_then_both_go_on():
    pad = talking()
    assert pad.press("#", 0) == []  # may start ##: held back
    assert pad.deadline == 2.0
    assert pad.press("5", 0.5) == [Forward("#5")]


def test_given_a_held_hash_when_star_follows_then_the_hash_goes_and_the_star_is_held():
    pad = talking()
    pad.press("#", 0)
    assert pad.press("*", 0.1) == [Forward("#")]
    assert pad.held == "*"
    assert pad.press("2", 0.2) == [Begin("attended")]


def test_given_a_held_digit_when_the_pause_passes_then_it_goes_on():
    pad = talking()
    pad.press("*", 10)
    assert pad.expire(11.9) == []
    assert pad.expire(12.0) == [Forward("*")]
    assert pad.deadline is None


def test_given_a_number_being_keyed_when_the_pause_passes_then_it_is_dialled():
    pad = talking()
    press(pad, "##10", start=0)
    assert pad.deadline == pytest.approx(0.3 + 5.0)
    assert pad.expire(5.2) == []
    assert pad.expire(5.3) == [Dial("blind", "10")]


def test_given_a_code_without_a_number_when_the_pause_passes_then_it_is_given_up():
    pad = talking()
    press(pad, "##")
    assert pad.expire(100) == [Abort("blind")]


@pytest.mark.parametrize("keys", ["##*", "##1*", "###"])
def test_given_a_number_when_star_or_an_early_hash_then_the_transfer_is_given_up(keys):
    assert press(talking(), keys)[-1] == Abort("blind")


def test_given_the_consultation_codes_when_pressed_then_commands_without_a_number():
    pad = Keypad(CODES.consulting())
    assert press(pad, "*1") == [Command("cancel")]
    assert press(pad, "*2") == [Command("complete")]
    assert press(pad, "7*2") == [Forward("7"), Command("complete")]


def test_given_a_keypad_without_codes_when_pressed_then_everything_goes_on():
    assert Keypad({}).press("#", 0) == [Forward("#")]


@pytest.mark.parametrize("codes, problem", [
    ({"##": "blind", "#": "attended"}, "starts the other"),
    ({"": "blind"}, "not 1 to 8 keys"),
    ({"#a": "blind"}, "not 1 to 8 keys"),
    ({"123456789": "blind"}, "not 1 to 8 keys"),
    ({"##": "blind", "*2": "attended"}, None),
])
def test_given_codes_when_checked_then_a_problem_names_them(codes, problem):
    found = codes_problem(codes)
    assert (found is None) if problem is None else (problem in found)
