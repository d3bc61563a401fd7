import struct
import zlib

import pytest

from callctl.domain.coverage import BRANCH_COLOURS, GRID_SHADE, UNCOVERED, branch_by_minute, \
    coverage_png, uncovered
from callctl.domain.png import SIGNATURE, encode_png
from callctl.domain.schedule import WeeklySchedule
from callctl.domain.scheme import BlockSpec, Branch, Direction, Scheme

BLOCK = (BlockSpec((Direction("phone_number", "+15550199"),), 20),)


def scheme(*schedules):
    return Scheme("Main", "sequential", tuple(
        Branch(f"B{i}", WeeklySchedule.from_dict(s), BLOCK) for i, s in enumerate(schedules)))


OFFICE = scheme({"days": "mon-fri", "hours": ["09:00-18:00"]},
                {"days": "sat", "hours": ["10:00-14:00"]})


def test_given_office_hours_when_checked_then_gaps_listed_per_day():
    gaps = uncovered(OFFICE)
    assert gaps[:3] == ["Mon 00:00–08:59 uncovered", "Mon 18:01–23:59 uncovered",
                        "Tue 00:00–08:59 uncovered"]
    assert gaps[-3:] == ["Sat 00:00–09:59 uncovered", "Sat 14:01–23:59 uncovered",
                         "Sun 00:00–23:59 uncovered"]
    assert len(gaps) == 13


def test_given_adjacent_branches_when_checked_then_minutes_merge_into_no_gap():
    s = scheme({"hours": ["00:00-11:59"]}, {"hours": ["12:00-17:59"]},
               {"hours": ["18:00-23:59"]})
    assert uncovered(s) == []


def test_given_whole_week_covered_except_one_minute_when_checked_then_that_minute_shown():
    s = scheme({"days": "mon-sat"}, {"days": "sun", "hours": ["00:00-12:29", "12:31-23:59"]})
    assert uncovered(s) == ["Sun 12:30–12:30 uncovered"]


def test_given_no_branches_when_checked_then_every_day_uncovered():
    assert uncovered(Scheme("Empty", "parallel", ()))[0] == "Mon 00:00–23:59 uncovered"


def test_given_overlapping_branches_when_mapped_then_first_branch_owns_the_minute():
    owner = branch_by_minute(scheme({"days": "mon", "hours": ["09:00-12:00"]},
                                    {"days": "mon-tue"}))
    assert owner[9 * 60] == 1 and owner[8 * 60] == 2 and owner[1440 + 600] == 2
    assert owner[2 * 1440] == 0


def _decode(data: bytes):
    """A minimal PNG reader for 8-bit RGB, filter 0: enough to check what we wrote."""
    assert data[:8] == SIGNATURE
    pos, chunks = 8, {}
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == \
            zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + width * 3
    rows = [raw[y * stride:(y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)

    def pixel(x, y):
        return tuple(rows[y][1 + 3 * x:4 + 3 * x])
    return width, height, pixel


def test_given_scheme_when_drawn_then_png_rows_per_day_red_where_uncovered(tmp_path):
    path = coverage_png(OFFICE, tmp_path / "coverage.png")
    width, height, pixel = _decode(path.read_bytes())
    assert (width, height) == (720, 7 * 24)
    mid_row = lambda day: day * 24 + 12  # noqa: E731
    x = lambda h, m: (h * 60 + m) // 2  # noqa: E731
    assert pixel(x(10, 15), mid_row(1)) == BRANCH_COLOURS[0]  # Tue 10:15: weekday branch
    assert pixel(x(12, 15), mid_row(5)) == BRANCH_COLOURS[1]  # Sat 12:15: Saturday branch
    assert pixel(x(12, 15), mid_row(6)) == UNCOVERED  # Sun: nobody
    # 18:00 is covered but 18:01 in the same pixel is not: the gap wins (on the hour line).
    assert pixel(x(18, 0), mid_row(0)) == tuple(int(c * GRID_SHADE) for c in UNCOVERED)
    assert pixel(x(10, 0), mid_row(0)) != BRANCH_COLOURS[0]  # the 10:00 hour line, darker
    assert pixel(x(10, 15), 23) == (255, 255, 255)  # line between Monday and Tuesday


def test_given_rows_of_wrong_size_when_encoded_then_refused():
    with pytest.raises(ValueError, match="row 0 has 3 bytes, expected 6"):
        encode_png(2, 1, [b"\x00\x00\x00"])
    with pytest.raises(ValueError, match="1 rows, expected 2"):
        encode_png(1, 2, [b"\x00\x00\x00"])
