"""A small bar chart drawn on the server as SVG: no script, no CDN, works offline and prints.

Registrations and pickups per hour of the camp's day, side by side: a title, a y axis
with its scale (0, half, top) and label, an x axis with the hour under each pair of bars,
and a legend. Every bar carries its value as a tooltip (`<title>`).
"""

from __future__ import annotations

import datetime as dt

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 36, 40  # room for the y scale, the title and the x labels
COLOURS = ("#417690", "#c5a142")  # registrations, pickups
RECT = '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
TEXT = '<text x="{}" y="{}" text-anchor="{}" font-size="11">{}</text>'
LINE = '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888" stroke-width="1"/>'
FRAME = (
    '<svg class="camp-chart" role="img" aria-label="{title}" '
    'viewBox="0 0 {w} {h}" width="100%" style="max-width: {w}px">'
    '<text x="{left}" y="14" font-size="13" font-weight="bold">{title}</text>'
    "{axes}{bars}{texts}"
    '<rect x="{k1}" y="20" width="10" height="10" fill="{c1}"/>'
    '<text x="{t1}" y="29" font-size="11">{registrations}</text>'
    '<rect x="{k2}" y="20" width="10" height="10" fill="{c2}"/><text x="{t2}" y="29" font-size="11">{pickups}</text>'
    "</svg>"
)


def hourly_bars(hours: list[tuple[dt.datetime, int, int]]) -> SafeString:
    """Registrations and pickups per hour, side by side, each pair above its local hour."""
    if not hours:
        return format_html('<p class="help">{}</p>', gettext("Nothing yet today."))
    top = max(max(r, p) for _, r, p in hours) or 1
    base, plot_height = HEIGHT - BOTTOM, HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - RIGHT) / len(hours)
    bar = min(28.0, max(3.0, slot / 2 - 4))
    bars, texts = [], []
    for i, (hour, registered, picked) in enumerate(hours):
        middle = LEFT + i * slot + slot / 2
        for j, value in enumerate((registered, picked)):
            height = plot_height * value / top
            x = middle - bar - 1 if j == 0 else middle + 1
            bars.append((f"{x:.1f}", f"{base - height:.1f}", f"{bar:.1f}", f"{height:.1f}", COLOURS[j], value))
        texts.append((f"{middle:.1f}", f"{base + 14}", "middle", f"{hour:%H}:00"))
    for value in sorted({0, top // 2, top}):
        texts.append((f"{LEFT - 6}", f"{base - plot_height * value / top + 4:.1f}", "end", str(value)))
    texts.append(
        (f"{LEFT + (WIDTH - LEFT - RIGHT) / 2:.1f}", f"{HEIGHT - 6}", "middle", gettext("hour of the day (camp time)"))
    )
    axes = [(LEFT, TOP, LEFT, base), (LEFT, base, WIDTH - RIGHT, base)]
    return format_html(
        FRAME,
        title=gettext("Registrations and pickups per hour"),
        registrations=gettext("registrations"),
        pickups=gettext("pickups"),
        w=WIDTH,
        h=HEIGHT,
        left=LEFT,
        axes=format_html_join("", LINE, axes),
        bars=format_html_join("", RECT, bars),
        texts=format_html_join("", TEXT, texts),
        k1=WIDTH - 250,
        c1=COLOURS[0],
        t1=WIDTH - 236,
        k2=WIDTH - 130,
        c2=COLOURS[1],
        t2=WIDTH - 116,
    )
