"""A server-rendered SVG chart of requests and resolutions per week: no chart library,
no CDN, readable without JavaScript. Every text is escaped."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

PALETTE = ("#0b5cad", "#d97706", "#16a34a", "#7c3aed", "#dc2626", "#0891b2", "#a16207")


@dataclass(frozen=True)
class Series:
    label: str
    values: dict[date, int]


def weekly_svg(weeks: list[date], requests: list[Series], resolutions: list[Series],
               title: str) -> Markup:
    """Stacked bars of requests per category per week (colours: `colour(n)`, for the
    legend the page writes in HTML), and a dark line of resolutions."""
    width, height, left, bottom, top = 720, 260, 40, 40, 24
    plot_w, plot_h = width - left - 10, height - bottom - top
    stacked = [sum(s.values.get(w, 0) for s in requests) for w in weeks]
    resolved = [sum(s.values.get(w, 0) for s in resolutions) for w in weeks]
    peak = max([1, *stacked, *resolved])
    step = plot_w / max(1, len(weeks))
    bar = step * 0.6

    def y(value: float) -> float:
        return top + plot_h - value * plot_h / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 10}" y2="{y(0):.1f}" stroke="#9aa5b1"/>',
        f'<text x="{left - 6}" y="{y(peak):.1f}" font-size="11" text-anchor="end">{peak}</text>',
        f'<text x="{left - 6}" y="{y(0):.1f}" font-size="11" text-anchor="end">0</text>',
    ]
    for i, week in enumerate(weeks):
        x = left + i * step + (step - bar) / 2
        base = 0
        for n, series in enumerate(requests):
            value = series.values.get(week, 0)
            if value:
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y(base + value):.1f}" width="{bar:.1f}" '
                    f'height="{(value * plot_h / peak):.1f}" fill="{PALETTE[n % len(PALETTE)]}">'
                    f'<title>{escape(series.label)} · {week:%d/%m}: {value}</title></rect>'
                )
            base += value
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle">{week:%d/%m}</text>'
        )
    if weeks:
        points = " ".join(
            f"{left + i * step + step / 2:.1f},{y(v):.1f}" for i, v in enumerate(resolved)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="#111827" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def colour(n: int) -> str:
    return PALETTE[n % len(PALETTE)]
