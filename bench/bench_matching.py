"""Time ``propose_matches`` on seeded, realistic cohorts of 50, 500 and 5,000 participants.

Run from the repository root: ``python bench/bench_matching.py``. Prints figures; asserts nothing.
One mentor in five offers their skills without a stated level (they joined before levels were
asked), so both ways of scoring and explaining a skill are timed.
"""

import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

# Run as a plain script, so the repository root is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services.matching import Candidate, MatchResult, propose_matches
from storage.enums import Role

SIZES = (50, 500, 5_000)
MENTEE_SHARE = 0.7
RUNS = 3
# One mentor in five joined before levels were asked: they offer skills with no stated level.
UNSTATED_EVERY = 5

COMPETENCIES = (
    "Stakeholder communication",
    "Public speaking",
    "Negotiation",
    "System design",
    "Code review",
    "Product thinking",
    "Data analysis",
    "Hiring",
    "Giving feedback",
    "Time management",
    "Strategic planning",
    "Conflict resolution",
)
INTERESTS = (
    "hiking",
    "chess",
    "jazz",
    "cooking",
    "running",
    "cycling",
    "photography",
    "climbing",
    "yoga",
    "gardening",
    "podcasts",
    "poetry",
    "sci-fi",
    "board-games",
    "football",
    "tennis",
    "travel",
    "painting",
    "baking",
    "film",
    "theatre",
    "birding",
    "sailing",
    "knitting",
    "gaming",
    "history",
    "astronomy",
    "languages",
    "volunteering",
    "dance",
)
VALUES = (
    "Curiosity",
    "Candour",
    "Craft",
    "Kindness",
    "Ownership",
    "Growth",
    "Fairness",
    "Impact",
    "Balance",
    "Courage",
)
# (UTC offset in minutes, relative share): the Americas, Europe, India, Nepal, East Asia, Australia.
OFFSETS = (
    (-480, 10),
    (-420, 3),
    (-360, 6),
    (-300, 12),
    (-180, 4),
    (0, 12),
    (60, 16),
    (120, 8),
    (180, 3),
    (330, 10),
    (345, 1),
    (480, 5),
    (540, 4),
    (600, 3),
)


def _person(rng: random.Random, pid: int, role: Role) -> Candidate:
    offset = rng.choices([o for o, _ in OFFSETS], weights=[w for _, w in OFFSETS])[0]
    start = rng.choice((7 * 60, 8 * 60, 8 * 60 + 30, 9 * 60, 9 * 60, 10 * 60))
    mentee = role is Role.MENTEE
    skills = rng.sample(COMPETENCIES, rng.randint(2, 3) if mentee else rng.randint(3, 5))
    capacity = rng.randint(1, 3)
    levels: dict[str, int | None] = {
        s: rng.randint(1, 4) if mentee else rng.randint(3, 5) for s in skills
    }
    if not mentee and pid % UNSTATED_EVERY == 0:
        # Drawn all the same, so the rest of the cohort is the one the figures were taken on.
        levels = dict.fromkeys(levels)
    return Candidate(
        participant_id=pid,
        user_id=f"U{pid:06d}",
        role=role,
        skills=levels,
        interests=frozenset(rng.sample(INTERESTS, rng.randint(2, 6))),
        values=frozenset(rng.sample(VALUES, rng.randint(1, 3))),
        utc_offset_minutes=offset,
        work_start_minute=start,
        work_end_minute=start + rng.choice((8 * 60, 9 * 60)),
        work_days=frozenset({7, 1, 2, 3, 4}) if rng.random() < 0.05 else frozenset(range(1, 6)),
        capacity=capacity,
        current_load=0 if mentee or rng.random() < 0.8 else rng.randint(0, capacity),
        active=mentee or rng.random() > 0.05,
    )


def cohort(size: int, seed: int) -> tuple[list[Candidate], list[Candidate], list[tuple[str, str]]]:
    """A seeded cohort of ``size`` participants and some pairs from earlier programs."""
    rng = random.Random(seed)
    n_mentees = round(size * MENTEE_SHARE)
    mentees = [_person(rng, pid, Role.MENTEE) for pid in range(1, n_mentees + 1)]
    mentors = [_person(rng, pid, Role.MENTOR) for pid in range(n_mentees + 1, size + 1)]
    past = [
        (rng.choice(mentors).user_id, mentee.user_id) for mentee in mentees if rng.random() < 0.1
    ]
    return mentees, mentors, past


def _best_time(run: Callable[[], MatchResult]) -> tuple[float, MatchResult]:
    best, result = float("inf"), None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def _peak_mib(run: Callable[[], MatchResult]) -> float:
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    """Print one line of figures per cohort size."""
    header = ("participants", "mentees", "mentors", "proposals", "unmatched", "seconds", "peak MiB")
    print("".join(f"{h:>13}" for h in header))
    for size in SIZES:
        mentees, mentors, past = cohort(size, seed=size)

        def run(
            mentees: list[Candidate] = mentees,
            mentors: list[Candidate] = mentors,
            past: list[tuple[str, str]] = past,
        ) -> MatchResult:
            return propose_matches(mentees, mentors, past_pairs=past)

        seconds, result = _best_time(run)
        figures = (
            size,
            len(mentees),
            len(mentors),
            len(result.proposals),
            len(result.unmatched),
            f"{seconds:.3f}",
            f"{_peak_mib(run):.1f}",
        )
        print("".join(f"{f:>13}" for f in figures))


if __name__ == "__main__":
    main()
