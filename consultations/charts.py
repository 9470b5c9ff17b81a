"""A small bar chart drawn on the server as SVG: no script, no CDN, works offline and prints."""

from __future__ import annotations

import datetime as dt

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 640, 180, 28
COLOURS = ("#417690", "#c5a142")  # registrations, pickups
RECT = '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
LABEL = '<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>'
FRAME = (
    '<svg class="camp-chart" role="img" aria-label="Registrations and pickups per hour" '
    'viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
    '<text x="{pad}" y="14" font-size="12">up to {top} an hour</text>{bars}{labels}'
    '<rect x="{k1}" y="4" width="10" height="10" fill="{c1}"/><text x="{t1}" y="13" font-size="11">registrations</text>'
    '<rect x="{k2}" y="4" width="10" height="10" fill="{c2}"/><text x="{t2}" y="13" font-size="11">pickups</text>'
    "</svg>"
)


def hourly_bars(hours: list[tuple[dt.datetime, int, int]]) -> SafeString:
    """Registrations and pickups per hour, side by side, labelled by local hour."""
    if not hours:
        return format_html('<p class="help">{}</p>', "Nothing yet today.")
    top = max(max(r, p) for _, r, p in hours) or 1
    slot = (WIDTH - 2 * PAD) / len(hours)
    bar = min(40.0, max(2.0, slot / 2 - 2))
    bars, labels = [], []
    for i, (hour, registered, picked) in enumerate(hours):
        x = PAD + i * slot
        for j, value in enumerate((registered, picked)):
            height = (HEIGHT - 2 * PAD) * value / top
            box = (f"{x + j * (bar + 1):.1f}", f"{HEIGHT - PAD - height:.1f}", f"{bar:.1f}", f"{height:.1f}")
            bars.append((*box, COLOURS[j], f"{hour:%H}:00 {value}"))
        labels.append((f"{x + slot / 2:.1f}", f"{HEIGHT - PAD / 3:.1f}", f"{hour:%H}"))
    return format_html(
        FRAME,
        w=WIDTH,
        h=HEIGHT,
        pad=PAD,
        top=top,
        bars=format_html_join("", RECT, bars),
        labels=format_html_join("", LABEL, labels),
        k1=WIDTH - 250,
        c1=COLOURS[0],
        t1=WIDTH - 236,
        k2=WIDTH - 130,
        c2=COLOURS[1],
        t2=WIDTH - 116,
    )
