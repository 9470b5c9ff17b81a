"""The camp day's chart explains itself: title, both axes labelled, an hour under each pair of bars, a legend."""

from __future__ import annotations

import datetime as dt
import re

from consultations.charts import hourly_bars


def hours(*counts: tuple[int, int]) -> list[tuple[dt.datetime, int, int]]:
    start = dt.datetime(2026, 12, 2, 9, 0)
    return [(start + dt.timedelta(hours=i), r, p) for i, (r, p) in enumerate(counts)]


def test_one_hour_has_its_label_under_its_bars():
    svg = str(hourly_bars(hours((301, 120))))
    assert "Registrations and pickups per hour" in svg and "hour of the day (camp time)" in svg
    assert "registrations</text>" in svg and "pickups</text>" in svg
    assert svg.count("<line") == 2  # both axes
    bars = [float(x) + float(w) / 2 for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)[:2]]
    label = float(re.search(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" font-size="11">09:00', svg).group(1))
    assert min(bars) < label < max(bars)  # the hour sits under its own pair of bars
    assert ">301</text>" in svg and ">150</text>" in svg and ">0</text>" in svg  # the y scale


def test_every_hour_is_labelled_and_every_bar_says_its_value():
    svg = str(hourly_bars(hours((10, 2), (25, 9), (7, 30))))
    assert all(f"{h}:00</text>" in svg for h in ("09", "10", "11"))
    assert all(f"<title>{v}</title>" in svg for v in (10, 2, 25, 9, 7, 30))


def test_an_empty_day_says_so():
    assert "Nothing yet today." in str(hourly_bars([]))
