from callctl.pbx.presence import PresenceTracker


def test_given_registrations_when_contacts_change_then_presence_follows():
    tracker = PresenceTracker()
    assert tracker.seed([{"resource": "bob", "state": "online"},
                         {"resource": "carrier", "state": "offline"}]) == \
        [("bob", "online", None)]
    assert tracker.snapshot().sip_reachable("bob")
    assert tracker.contact("alice", "sip:x@127.0.0.1:5555", "Created") == \
        ("alice", "online", "sip:x@127.0.0.1:5555")
    assert tracker.contact("bob", "sip:y@127.0.0.1:5556", "Removed") == ("bob", "offline", None)
    presence = tracker.snapshot()
    assert presence.sip_reachable("alice") and not presence.sip_reachable("bob")


def test_given_a_reregistration_from_a_new_port_when_the_old_contact_goes_then_still_online():
    tracker = PresenceTracker()
    tracker.contact("alice", "sip:a@127.0.0.1:1111", "Created")
    tracker.contact("alice", "sip:a@127.0.0.1:2222", "Created")
    assert tracker.contact("alice", "sip:a@127.0.0.1:1111", "Removed") == \
        ("alice", "online", "sip:a@127.0.0.1:2222")
    assert tracker.snapshot().sip_reachable("alice")


def test_given_a_reconnect_when_seeded_then_only_what_changed_meanwhile_is_reported():
    tracker = PresenceTracker()
    tracker.seed([{"resource": "alice", "state": "online"}])
    assert tracker.seed([{"resource": "alice", "state": "online"},
                         {"resource": "bob", "state": "online"}]) == [("bob", "online", None)]
    assert tracker.seed([{"resource": "bob", "state": "online"}]) == \
        [("alice", "offline", None)]
