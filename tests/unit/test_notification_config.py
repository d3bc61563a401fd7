"""The notifications and sms sections of the configuration: defaults, refusals that name
the key, and where the links in notifications point."""
import pytest

from callctl import config
from callctl.store.notifications import Outbox
from callctl.voicemail.notifier import notifier_from_config

BASE = {"ari": {"password": "x"}, "ami": {"secret": "y"}}


def parse(**sections):
    return config.parse({**BASE, **sections}, "callctl.yaml", environ={})


def refusal(**sections) -> str:
    with pytest.raises(config.ConfigError) as err:
        parse(**sections)
    return str(err.value)


def test_given_no_sections_then_a_week_long_link_and_retries_for_two_days():
    cfg = parse()
    n = cfg.notifications
    assert (n.link_days, n.retry_first_seconds, n.retry_max_seconds, n.give_up_hours) == \
        (7, 30, 1800, 48)
    assert cfg.sms is None


def test_given_an_sms_gateway_then_json_post_of_recipient_and_text_by_default():
    sms = parse(sms={"url": "https://sms.example.com/send"}).sms
    assert (sms.method, sms.encoding, sms.body, sms.timeout_seconds) == \
        ("POST", "json", {"to": "{recipient}", "text": "{text}"}, 10)


def test_given_the_authorization_in_the_environment_then_it_is_used():
    cfg = config.parse({**BASE, "sms": {"url": "https://sms.example.com/send"}},
                       "callctl.yaml", environ={"CALLCTL__SMS__AUTHORIZATION": "Bearer k"})
    assert cfg.sms.authorization == "Bearer k"


@pytest.mark.parametrize("sections, message", [
    ({"sms": {"url": "https://sms.example.com/{to}"}},
     "callctl.yaml: sms.url: unknown placeholder {to} (known: {recipient}"),
    ({"sms": {"url": "sms.example.com"}},
     "callctl.yaml: sms.url: must be an http:// or https:// URL of the SMS gateway"),
    ({"sms": {"url": "https://s.example.com", "body": {"msg": "{text"}}},
     "callctl.yaml: sms.body: 'msg': expected '}' before end of string"),
    ({"sms": {"url": "https://s.example.com", "encoding": "xml"}},
     "callctl.yaml: sms.encoding: Input should be 'json' or 'form'"),
    ({"sms": {"url": "https://s.example.com", "method": "DELETE"}},
     "callctl.yaml: sms.method: Input should be 'POST', 'PUT' or 'GET'"),
    ({"sms": {"url": "https://s.example.com", "token": "x"}}, "callctl.yaml: sms.token: "
                                                              "unknown key"),
    ({"notifications": {"link_secret": "short"}},
     "callctl.yaml: notifications.link_secret: String should have at least 32 characters"),
    ({"notifications": {"link_days": 0}},
     "callctl.yaml: notifications.link_days: Input should be greater than 0"),
    ({"notifications": {"retry_first_seconds": 60, "retry_max_seconds": 10}},
     "callctl.yaml: notifications: retry_max_seconds must not be below retry_first_seconds"),
    ({"notifications": {"public_url": "pbx.example.com"}},
     "callctl.yaml: notifications.public_url: must be an http:// or https:// URL of the "
     "daemon as recipients reach it"),
])
def test_given_a_wrong_value_then_the_key_and_the_problem_are_named(sections, message):
    assert refusal(**sections).startswith(message)


@pytest.mark.parametrize("sections, url", [
    ({"notifications": {"public_url": "https://pbx.example.com/"},
      "smtp": {"base_url": "https://mail-links.example.com"}}, "https://pbx.example.com"),
    ({"smtp": {"base_url": "https://pbx.example.com"}}, "https://pbx.example.com"),
    ({"http": {"host": "0.0.0.0", "port": 8091}}, "http://127.0.0.1:8091"),
])
def test_given_the_sections_then_links_point_to_the_first_url_configured(
        sections, url):
    notifier = notifier_from_config(parse(**sections), Outbox(None), lambda box: [])
    assert notifier.public_url.rstrip("/") == url
