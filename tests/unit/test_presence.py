from callctl.pbx.events import parse
from callctl.pbx.presence import PresenceTracker


def contact_event(login, status, uri="sip:x@127.0.0.1:5555"):
    return parse({"type": "ContactStatusChange", "endpoint": {"resource": login},
                  "contact_info": {"aor": login, "uri": uri, "contact_status": status}})


def test_given_registrations_when_contacts_change_then_presence_follows():
    tracker = PresenceTracker()
    tracker.seed([{"resource": "bob", "state": "online"}, {"resource": "carrier",
                                                           "state": "offline"}])
    assert tracker.snapshot().sip_reachable("bob")
    assert tracker.update(contact_event("alice", "Created")) == \
        ("alice", "online", "sip:x@127.0.0.1:5555")
    assert tracker.update(contact_event("bob", "Removed")) == ("bob", "offline", None)
    presence = tracker.snapshot()
    assert presence.sip_reachable("alice") and not presence.sip_reachable("bob")
    assert tracker.update(parse({"type": "ChannelVarset"})) is None


def test_given_a_reregistration_from_a_new_port_when_the_old_contact_goes_then_still_online():
    tracker = PresenceTracker()
    tracker.update(contact_event("alice", "Created", "sip:a@127.0.0.1:1111"))
    tracker.update(contact_event("alice", "Created", "sip:a@127.0.0.1:2222"))
    assert tracker.update(contact_event("alice", "Removed", "sip:a@127.0.0.1:1111")) == \
        ("alice", "online", "sip:a@127.0.0.1:2222")
    assert tracker.snapshot().sip_reachable("alice")
