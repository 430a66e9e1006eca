"""The digest's chart: sessions per week against plan, and the weekly scorecard averages.

A week's averages are drawn only when the metrics carry them: ``cohort_metrics`` leaves them out
for a week in which fewer people than the program's minimum group rated, so no point is ever one
person's rating. Pure: cohort metrics in, PNG bytes out. It draws on matplotlib's Agg canvas
through the object-oriented API (no pyplot): no display is needed and no global figure state is
shared between the threads that render digests.
"""

import math
from io import BytesIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.services.digest import CohortMetrics
from bot.services.scorecards import DIMENSIONS, LABELS, LOW_BELOW, SCORE_MAX, SCORE_MIN

HELD_COLOUR = "#3f7cac"
PLAN_COLOUR = "#e07a24"
LOW_COLOUR = "#b8322a"
NOTE_COLOUR = "#6b6b6b"
DIMENSION_COLOURS = {"clarity": "#2a9d8f", "energy": "#e9c46a", "confidence": "#6d597a"}
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 5.6, 110


def render_digest_chart(metrics: CohortMetrics) -> bytes:
    """A two-panel PNG: sessions held per week with the plan, and the scorecard trend."""
    weeks = metrics.weeks
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    sessions_axes, scores_axes = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    x = list(range(len(weeks)))
    labels = [f"{w.start.day} {w.start:%b}" for w in weeks]

    sessions_axes.bar(x, [w.sessions for w in weeks], color=HELD_COLOUR, label="Sessions held")
    sessions_axes.plot(
        x,
        [w.planned for w in weeks],
        color=PLAN_COLOUR,
        marker="o",
        linestyle="--",
        label="Plan",
    )
    sessions_axes.set_title("Sessions per week against plan", loc="left", fontsize=11)
    sessions_axes.set_ylabel("Sessions")
    sessions_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    # Headroom above the tallest bar keeps the legend clear of the bars.
    tallest = max([w.sessions for w in weeks] + [w.planned for w in weeks] + [1])
    sessions_axes.set_ylim(0, tallest * 1.3)
    sessions_axes.legend(loc="upper left", frameon=False, fontsize=9, ncols=2)
    sessions_axes.spines[["top", "right"]].set_visible(False)

    for dimension in DIMENSIONS:
        values = [w.averages.get(dimension) for w in weeks]
        scores_axes.plot(
            x,
            [math.nan if v is None else v for v in values],
            color=DIMENSION_COLOURS[dimension],
            marker="o",
            label=LABELS[dimension],
        )
    scores_axes.axhline(LOW_BELOW, color=LOW_COLOUR, linestyle=":", linewidth=1)
    scores_axes.text(
        -0.4, LOW_BELOW + 0.15, f"below {LOW_BELOW}: low", color=LOW_COLOUR, fontsize=8
    )
    scores_axes.set_title(
        f"Scorecard averages per week ({metrics.min_people}+ people)", loc="left", fontsize=11
    )
    if any(w.scorecards and all(v is None for v in w.averages.values()) for w in weeks):
        scores_axes.text(
            0.99,
            0.97,
            "weeks without a point: too few answers to show",
            transform=scores_axes.transAxes,
            color=NOTE_COLOUR,
            fontsize=8,
            horizontalalignment="right",
            verticalalignment="top",
        )
    scores_axes.set_ylim(SCORE_MIN, SCORE_MAX)
    scores_axes.set_ylabel("Rating (1 to 10)")
    scores_axes.legend(loc="lower left", frameon=False, fontsize=8, ncols=3)
    scores_axes.spines[["top", "right"]].set_visible(False)
    scores_axes.set_xticks(x, labels, fontsize=8)
    scores_axes.set_xlabel("Week starting")

    figure.suptitle(
        f"{metrics.program_name}: week {min(metrics.week_of_program, metrics.weeks_total)} "
        f"of {metrics.weeks_total}",
        fontsize=12,
        fontweight="bold",
    )
    out = BytesIO()
    # No "Software" chunk: the same metrics give the same bytes across matplotlib versions.
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
