"""The busy board tells its watchers (the workspace's pages) when someone goes on or off a
call, whichever call event did it: a transfer's recipient answering is no call event of its
own, and pages showed them available while they talked."""
from callctl.calls.busy import BusyBoard


def test_given_watchers_then_told_when_a_party_goes_on_and_off_calls_not_for_a_second_call():
    board, told = BusyBoard(), []
    board.watch(lambda: told.append(board.snapshot()))
    board.engage("Alice Smith", "c1")
    board.engage("Alice Smith", "c2")  # call waiting: still on a call, nothing new to show
    board.release("Alice Smith", "c1")
    assert told == [frozenset({"Alice Smith"})]
    board.release("Alice Smith", "c2")
    board.release("Alice Smith", "c2")  # twice: nothing changes
    assert told == [frozenset({"Alice Smith"}), frozenset()]
