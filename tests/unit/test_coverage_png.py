"""The coverage picture as a reader sees it: days, hours, a legend naming every branch and
the gaps, and the right colour at the right minute of the saved PNG."""
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from callctl.domain.schedule import WeeklySchedule
from callctl.domain.scheme import BlockSpec, Branch, Direction, Scheme
from callctl.schemes.coverage_png import UNCOVERED, branch_colour, coverage_figure, \
    day_runs

BLOCK = (BlockSpec((Direction("phone_number", "+15550199"),), 20),)


def scheme(**branches):
    return Scheme("Sales", "sequential", tuple(
        Branch(name, WeeklySchedule.from_dict(s), BLOCK) for name, s in branches.items()))


OFFICE = scheme(weekdays={"days": "mon-fri", "hours": ["09:00-18:00"]},
                saturday={"days": "sat", "hours": ["10:00-14:00"]})


def saved(s, tmp_path):
    """(figure, image): the figure after it was saved, and the PNG read back."""
    fig = coverage_figure(s, "Europe/Berlin")
    path = tmp_path / "coverage.png"
    fig.savefig(path, format="png")
    return fig, imread(path)


def colour_at(fig, image, day: int, hour: float) -> tuple:
    """The PNG's colour where the picture puts `day` (0 = Monday) at `hour`."""
    x, y = fig.axes[0].transData.transform((hour, day))
    return tuple(round(float(c), 2) for c in image[image.shape[0] - round(y), round(x)][:3])


def rgb(colour) -> tuple:
    return tuple(round(c, 2) for c in to_rgb(colour))


def test_given_a_scheme_when_drawn_then_days_hours_and_a_legend_name_what_is_shown(tmp_path):
    fig, _ = saved(OFFICE, tmp_path)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == \
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["00:00", "02:00", "04:00"]
    assert ax.get_xlabel() == "time of day (Europe/Berlin)"
    assert "'Sales'" in ax.get_title()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "branch 'weekdays': Mon–Fri 09:00–18:00", "branch 'saturday': Sat 10:00–14:00",
        "uncovered: the number's fallback takes the call"]


def test_given_a_scheme_when_drawn_then_each_minute_has_its_branch_colour_gaps_red(tmp_path):
    fig, image = saved(OFFICE, tmp_path)
    assert colour_at(fig, image, 1, 10.25) == rgb(branch_colour(0))  # Tue 10:15
    assert colour_at(fig, image, 5, 12.25) == rgb(branch_colour(1))  # Sat 12:15
    assert colour_at(fig, image, 6, 12.25) == rgb(UNCOVERED)  # Sunday: nobody
    assert colour_at(fig, image, 0, 20.5) == rgb(UNCOVERED)  # Mon evening
    assert UNCOVERED not in (branch_colour(i) for i in range(20))


def test_given_a_single_uncovered_minute_when_drawn_then_it_is_still_visible(tmp_path):
    s = scheme(week={"days": "mon-sat"},
               sunday={"days": "sun", "hours": ["00:00-12:29", "12:31-23:59"]})
    fig, image = saved(s, tmp_path)
    assert colour_at(fig, image, 6, 12.5 + 1 / 120) == rgb(UNCOVERED)  # Sun 12:30
    assert colour_at(fig, image, 6, 11.25) == rgb(branch_colour(1))


def test_given_a_day_when_split_into_runs_then_each_run_has_its_owner():
    from callctl.domain.coverage import branch_by_minute
    owner = branch_by_minute(OFFICE)
    assert day_runs(owner, 0) == [(0, 540, 0), (540, 541, 1), (1081, 359, 0)]
    assert day_runs(owner, 6) == [(0, 1440, 0)]
