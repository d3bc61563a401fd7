import pytest

from callctl.domain.directory import Department, Directory, Employee, SipAccount
from callctl.domain.schedule import WeeklySchedule
from callctl.domain.scheme import BlockSpec, Branch, Direction, Problem, Scheme, SchemeError, \
    copy_scheme, overlaps, scheme_from_dict, scheme_to_dict, validate

DIRECTORY = Directory(
    employees=(Employee("Maria Manager", "201", ("maria",), department="Sales"),
               Employee("Helen Head", "200", (), ("+15550199",), department="Sales")),
    departments=(Department("Sales", "600"),),
    sip_accounts=(SipAccount("lobby", "secret"),),
)
WEEKDAYS = WeeklySchedule.from_dict({"days": "mon-fri", "hours": ["09:00-18:00"]})


def block(*directions, timeout=20):
    return BlockSpec(tuple(Direction(k, t) for k, t in directions), timeout)


def scheme(*blocks, name="Sales", kind="sequential", branch="Weekdays"):
    return Scheme(name, kind, (Branch(branch, WEEKDAYS, tuple(blocks)),))


def problems(*schemes_):
    return [str(p) for p in validate({s.name: s for s in schemes_}, DIRECTORY)]


def test_given_valid_scheme_with_every_supported_kind_when_validated_then_no_problems():
    night = scheme(block(("phone_number", "+15550100")), name="Night")
    sales = scheme(block(("employee", "Maria Manager"), ("department", "Sales"),
                         ("sip_account", "maria"), ("sip_account", "lobby"),
                         ("phone_number", "+15550199"), ("sip_uri", "sip:200@pbx.example.com"),
                         ("sip_uri", "office@10.0.0.5:5070"), ("scheme", "Night")))
    assert problems(sales, night) == []


def test_given_problem_when_printed_then_names_scheme_branch_and_block():
    assert str(Problem("Sales", "Weekdays", 2, "timeout 0 s: must be between 1 and 600")) == \
        "scheme 'Sales', branch 'Weekdays', block 2: timeout 0 s: must be between 1 and 600"
    assert str(Problem("Sales", None, None, "has no branches")) == \
        "scheme 'Sales': has no branches"


@pytest.mark.parametrize("timeout", [0, -5, 601, "20"])
def test_given_bad_timeout_when_validated_then_refused_naming_the_block(timeout):
    s = scheme(block(("employee", "Maria Manager")),
               block(("employee", "Maria Manager"), timeout=timeout))
    assert problems(s) == [f"scheme 'Sales', branch 'Weekdays', block 2: timeout {timeout} s: "
                           f"must be between 1 and 600"]


def test_given_timeouts_at_the_limits_when_validated_then_accepted():
    assert problems(scheme(block(("employee", "Maria Manager"), timeout=1),
                           block(("employee", "Maria Manager"), timeout=600))) == []


def test_given_scheme_without_branches_when_validated_then_refused():
    assert problems(Scheme("Empty", "parallel", ())) == ["scheme 'Empty': has no branches"]


def test_given_branch_without_blocks_when_validated_then_refused():
    assert problems(scheme()) == ["scheme 'Sales', branch 'Weekdays': has no blocks"]


def test_given_block_without_directions_when_validated_then_refused():
    assert problems(scheme(block())) == \
        ["scheme 'Sales', branch 'Weekdays', block 1: has no directions"]


def test_given_unknown_kind_of_scheme_when_validated_then_refused():
    s = Scheme("Sales", "random", (Branch("B", WEEKDAYS, (block(("employee", "Maria Manager")),)),))
    assert problems(s) == ["scheme 'Sales': kind 'random': must be sequential or parallel"]


@pytest.mark.parametrize("kind,target,message", [
    ("employee", "Zoe Nobody", "direction employee 'Zoe Nobody': no such employee"),
    ("department", "Support", "direction department 'Support': no such department"),
    ("sip_account", "ghost", "direction sip_account 'ghost': no such SIP account"),
    ("scheme", "Nigth", "direction scheme 'Nigth': no such scheme"),
    ("phone_number", "555-0199", "direction phone_number '555-0199': not a phone number"),
    ("phone_number", "12", "direction phone_number '12': not a phone number"),
    ("sip_uri", "pbx.example.com", "direction sip_uri 'pbx.example.com': not a SIP URI"),
    ("sip_uri", "a&b@host", "direction sip_uri 'a&b@host': not a SIP URI"),
    ("employee", "", "direction employee: has no target"),
    ("fax", "1", "direction fax '1': unknown kind"),
])
def test_given_bad_direction_when_validated_then_refused_naming_it(kind, target, message):
    [p] = problems(scheme(block(("employee", "Maria Manager"), (kind, target))))
    assert p.startswith(f"scheme 'Sales', branch 'Weekdays', block 1: {message}")


@pytest.mark.parametrize("order, message", [
    ("lead, contract", "'contract' is not a CRM entity (one of lead, contact, deal, in the "
                       "order to look)"),
    ("lead, lead", "an entity is named twice in the lookup order"),
])
def test_given_a_bad_crm_lookup_order_when_validated_then_refused_naming_it(order, message):
    assert problems(scheme(block(("crm_manager", order)))) == \
        [f"scheme 'Sales', branch 'Weekdays', block 1: direction crm_manager {order!r}: "
         f"{message}"]


def test_given_a_crm_lookup_order_when_validated_then_fine():
    assert problems(scheme(block(("crm_manager", "deal, lead")),
                           block(("webhook", "regional")))) == []


def test_given_two_schemes_referencing_each_other_when_validated_then_cycle_named_once():
    sales = scheme(block(("employee", "Maria Manager")), block(("scheme", "Night")))
    night = scheme(block(("scheme", "Sales")), name="Night", branch="Always")
    assert problems(sales, night) == ["scheme 'Sales', branch 'Weekdays', block 2: direction "
                                      "scheme 'Night': cyclic scheme reference "
                                      "Sales -> Night -> Sales"]


def test_given_longer_cycle_and_self_reference_when_validated_then_each_named():
    a = scheme(block(("scheme", "B")), name="A")
    b = scheme(block(("scheme", "C")), name="B")
    c = scheme(block(("scheme", "A")), block(("scheme", "C")), name="C")
    found = problems(a, b, c)
    assert len(found) == 2
    assert found[0].endswith("cyclic scheme reference A -> B -> C -> A")
    assert found[1].endswith("cyclic scheme reference C -> C")


def test_given_shared_sub_scheme_without_cycle_when_validated_then_accepted():
    common = scheme(block(("employee", "Maria Manager")), name="Common")
    a = scheme(block(("scheme", "Common")), block(("scheme", "Common")), name="A")
    b = scheme(block(("scheme", "A")), block(("scheme", "Common")), name="B")
    assert problems(a, b, common) == []


def test_given_duplicate_branch_names_and_empty_schedule_when_validated_then_reported():
    b = block(("employee", "Maria Manager"))
    s = Scheme("Sales", "sequential", (Branch("X", WEEKDAYS, (b,)),
                                       Branch("X", WeeklySchedule(frozenset(), ()), (b,))))
    assert problems(s) == ["scheme 'Sales', branch 'X': another branch has the same name",
                           "scheme 'Sales', branch 'X': its schedule covers no minute of the "
                           "week"]


def test_given_scheme_stored_under_another_name_when_validated_then_reported():
    s = scheme(block(("employee", "Maria Manager")))
    assert [str(p) for p in validate({"Old": s}, DIRECTORY)] == \
        ["scheme 'Old': is stored under a different name: 'Sales'"]


def test_given_overlapping_branches_when_checked_then_minutes_reported_readably():
    lunch = WeeklySchedule.from_dict({"days": ["mon", "tue"], "hours": ["12:00-14:30"]})
    b = block(("employee", "Maria Manager"))
    s = Scheme("Sales", "sequential", (Branch("Weekdays", WEEKDAYS, (b,)),
                                       Branch("Lunch", lunch, (b,)),
                                       Branch("Always", WeeklySchedule.always(), (b,))))
    found = overlaps(s)
    assert found[0] == ("branches 'Weekdays' and 'Lunch' overlap on Mon 12:00–14:30, "
                        "Tue 12:00–14:30: 'Weekdays' takes those calls")
    assert len(found) == 3


def test_given_disjoint_branches_when_checked_then_no_overlap():
    weekend = WeeklySchedule.from_dict({"days": "sat-sun"})
    b = block(("employee", "Maria Manager"))
    assert overlaps(Scheme("S", "parallel", (Branch("W", WEEKDAYS, (b,)),
                                             Branch("E", weekend, (b,))))) == []


def test_given_scheme_when_copied_then_same_branches_under_new_name():
    s = scheme(block(("employee", "Maria Manager")))
    copy = copy_scheme(s, "Sales copy")
    assert copy.name == "Sales copy" and copy.branches == s.branches and copy.kind == s.kind
    with pytest.raises(ValueError):
        copy_scheme(s, "Sales")
    with pytest.raises(ValueError):
        copy_scheme(s, " ")


SALES_YAML = {
    "name": "Sales", "kind": "sequential", "music_on_hold": True,
    "branches": [
        {"name": "Weekdays", "schedule": {"days": "mon-fri", "hours": ["09:00-18:00"]},
         "blocks": [{"timeout": 20, "directions": [{"employee": "Maria Manager"},
                                                  {"phone_number": "+15550199"}]}]},
        {"name": "Weekend", "schedule": {"days": ["sat", "sun"], "hours": ["10:00-16:00"]},
         "blocks": [{"timeout": 30, "directions": [{"queue": "Q1"}]}]},
    ]}


def test_given_scheme_dict_when_loaded_and_dumped_then_round_trips():
    s = scheme_from_dict(SALES_YAML)
    assert s.music_on_hold and s.branches[1].blocks[0].directions == (Direction("queue", "Q1"),)
    assert scheme_to_dict(s) == SALES_YAML
    assert scheme_from_dict(scheme_to_dict(s)) == s


def test_given_direction_in_long_form_when_loaded_then_accepted():
    s = scheme_from_dict({"name": "S", "kind": "parallel", "branches": [
        {"name": "All", "blocks": [{"timeout": 5, "directions": [
            {"kind": "sip_account", "target": "maria"}, {"phone_number": "+15550199"}]}]}]})
    assert s.branches[0].schedule == WeeklySchedule.always()
    assert s.branches[0].blocks[0].directions == (Direction("sip_account", "maria"),
                                                  Direction("phone_number", "+15550199"))


def test_given_an_unquoted_number_as_target_when_loaded_then_refused_not_coerced():
    # Issue 16: YAML reads `phone_number: +15550199` as the int 15550199: the + was lost.
    errors = _load_errors({"name": "S", "kind": "parallel", "branches": [
        {"name": "All", "blocks": [{"timeout": 5, "directions": [{"phone_number": 15550199}]}]}]})
    assert errors == ["scheme 'S', branch 'All', block 1: direction phone_number: target "
                      "15550199 is a number, not text: write it in quotes, e.g. '+15550199'"]


def test_given_names_with_odd_spacing_when_loaded_then_normalised_and_bad_ones_refused():
    s = scheme_from_dict({"name": "S", "kind": "parallel", "branches": [
        {"name": " Week\u00a0days ", "blocks": [{"timeout": 5, "directions": [
            {"employee": "Alice   Smith"}]}]}]})
    assert s.branches[0].name == "Week days"
    assert s.branches[0].blocks[0].directions[0] == Direction("employee", "Alice Smith")
    errors = _load_errors({"name": "S", "kind": "parallel", "branches": [
        {"name": "x" * 100_000, "blocks": []},
        {"name": "ok", "blocks": [{"timeout": 5, "directions": [
            {"sip_uri": "sip:a@" + "b" * 1_000_000}, {"employee": "Al\nice"}]}]}]})
    assert errors == [
        "scheme 'S', branch '#1': key 'name': at most 128 characters (got 100000)",
        "scheme 'S', branch 'ok', block 1: direction sip_uri: target at most 255 characters "
        "(got 1000006)",
        "scheme 'S', branch 'ok', block 1: direction employee: target control character "
        "U+000A at position 3"]


def test_given_branch_names_differing_only_in_case_when_validated_then_refused():
    s = scheme_from_dict({"name": "S", "kind": "parallel", "branches": [
        {"name": n, "schedule": {"days": d}, "blocks": [{"timeout": 5, "directions": [
            {"phone_number": "+15550199"}]}]} for n, d in (("Day", "mon"), ("DAY", "tue"))]})
    assert [str(p) for p in validate({"S": s}, Directory())] == [
        "scheme 'S', branch 'DAY': another branch has the same name"]


def _load_errors(data):
    with pytest.raises(SchemeError) as e:
        scheme_from_dict(data)
    return [str(p) for p in e.value.problems]


@pytest.mark.parametrize("change,message", [
    (lambda d: d.pop("kind"), "scheme 'Sales': key 'kind' is missing"),
    (lambda d: d.update(kind="ring-all"),
     "scheme 'Sales': key 'kind': 'ring-all' must be sequential or parallel"),
    (lambda d: d.update(colour="red"), "scheme 'Sales': unknown key 'colour'"),
    (lambda d: d.update(branches={}), "scheme 'Sales': key 'branches': must be a list"),
    (lambda d: d["branches"][0].pop("name"), "scheme 'Sales', branch '#1': key 'name' is "
                                             "missing"),
    (lambda d: d["branches"][1].update(schedule={"days": "sat", "hours": ["22:00-02:00"]}),
     "scheme 'Sales', branch 'Weekend': key 'schedule': 22:00–02:00 crosses midnight"),
    (lambda d: d["branches"][0]["blocks"][0].update(timeout="20s"),
     "scheme 'Sales', branch 'Weekdays', block 1: key 'timeout': '20s' must be a whole number"),
    (lambda d: d["branches"][0]["blocks"][0].pop("directions"),
     "scheme 'Sales', branch 'Weekdays', block 1: key 'directions' is missing"),
    (lambda d: d["branches"][0]["blocks"][0]["directions"].append({"fax": "1"}),
     "scheme 'Sales', branch 'Weekdays', block 1: direction key 'fax': unknown kind"),
    (lambda d: d["branches"][0]["blocks"][0]["directions"].append("Maria"),
     "scheme 'Sales', branch 'Weekdays', block 1: direction 'Maria': write it as"),
])
def test_given_bad_scheme_dict_when_loaded_then_error_names_where_and_key(change, message):
    import copy
    data = copy.deepcopy(SALES_YAML)
    change(data)
    found = _load_errors(data)
    assert len(found) == 1 and found[0].startswith(message), found


def test_given_several_mistakes_when_loaded_then_all_reported_at_once():
    import copy
    data = copy.deepcopy(SALES_YAML)
    data["branches"][0]["blocks"][0]["timeout"] = None
    data["branches"][1]["schedule"] = {"days": "caturday"}
    assert len(_load_errors(data)) == 2


def test_given_loaded_scheme_with_semantic_mistakes_when_validated_then_refused():
    # Structure loads; meaning (names, limits) is for validate, with the directory.
    s = scheme_from_dict({"name": "S", "kind": "sequential", "branches": [
        {"name": "B", "blocks": [{"timeout": 0, "directions": []}]}]})
    assert [str(p) for p in validate({"S": s}, DIRECTORY)] == [
        "scheme 'S', branch 'B', block 1: timeout 0 s: must be between 1 and 600",
        "scheme 'S', branch 'B', block 1: has no directions"]
