"""The one rule for names (callctl/domain/names.py) and for phone numbers (domain/phones.py)."""
import pytest

from callctl.domain.names import BadName, clean_name, clean_text, name_key, shown
from callctl.domain.phones import BadNumber, to_e164


@pytest.mark.parametrize("written", ["Alice Smith", "  Alice   Smith ", "Alice\u00a0Smith",
                                     "Alice\u2003Smith", "Alice \u3000 Smith"])
def test_given_spacing_variants_when_cleaned_then_one_plain_space(written):
    assert clean_name(written) == "Alice Smith"


def test_given_decomposed_accents_when_cleaned_then_nfc():
    assert clean_name("Jose\u0301") == "Jos\u00e9"


@pytest.mark.parametrize("variant", ["alice smith", "ALICE SMITH", "Alice  Smith",
                                     "Alice\u00a0Smith", "\uff21lice Smith",
                                     "Ali\u200dce Smith"])
def test_given_variants_of_a_name_when_keyed_then_they_collide(variant):
    assert name_key(clean_name(variant)) == name_key("Alice Smith")


@pytest.mark.parametrize("bad, why", [
    ("Alice\nSmith", r"control character U\+000A"), ("Alice\tSmith", "control character"),
    ("Al\x00ice", r"control character U\+0000"), ("Alice\u200bSmith", "invisible formatting"),
    ("\ufeffAlice", "invisible formatting"), ("Alice\u202eSmith", "invisible formatting"),
    ("Al\ud800ice", "lone surrogate"), ("Alice\u2028Smith", "line break"),
    ("\ue000Alice", "private-use"), ("", "must not be empty"), ("   ", "must not be empty"),
    (None, "must be text, not null"), (42, "must be text, not a number"),
])
def test_given_a_bad_name_when_cleaned_then_refused_saying_why(bad, why):
    with pytest.raises(BadName, match=why):
        clean_name(bad)


def test_given_a_long_name_when_cleaned_then_bounded_and_the_message_is_short():
    with pytest.raises(BadName) as err:
        clean_name("x" * 100_000)
    assert "at most 128 characters (got 100000)" in str(err.value)
    assert len(str(err.value)) < 100
    assert clean_name("x" * 40, max_length=40) == "x" * 40


def test_given_free_text_when_cleaned_then_spaces_kept_and_controls_refused():
    assert clean_text("a  b") == "a  b"
    with pytest.raises(BadName, match="at most 255"):
        clean_text("u" * 1_000_000)
    with pytest.raises(BadName, match="control character"):
        clean_text("sip:a@b\r\n")


def test_given_a_huge_value_when_shown_then_it_is_cut():
    assert shown("abc") == "'abc'"
    text = shown("y" * 10_000)
    assert len(text) < 90 and text.endswith("(10000 characters)")


# ---- phone numbers -----------------------------------------------------------------------

@pytest.mark.parametrize("written, e164", [
    ("+15550199", "+15550199"), ("5550100", "+15550100"), ("(201) 555-0123", "+12015550123"),
    ("201.555.0123", "+12015550123"), (" +49 30 123456 ", "+4930123456"),
])
def test_given_written_numbers_when_normalised_then_e164(written, e164):
    assert to_e164(written, "US") == e164


def test_given_a_national_number_when_the_country_differs_then_its_code_is_used():
    assert to_e164("030 123456", "DE") == "+4930123456"


@pytest.mark.parametrize("bad, why", [
    (15550199, "write it in quotes"), (True, "write it in quotes"), ("", "as text"),
    ("\u0665\u0665\u0665\u0660\u0661\u0669\u0669", "digits 0-9"),  # Arabic-Indic digits
    ("1-800-FLOWERS", "digits 0-9"), ("123", "not a possible phone number"),
    ("+999123", "not a possible"), ("9" * 40, "not a phone number"), (None, "as text"),
])
def test_given_a_bad_number_when_normalised_then_refused(bad, why):
    with pytest.raises(BadNumber, match=why):
        to_e164(bad, "US")
