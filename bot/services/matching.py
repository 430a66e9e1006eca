"""Matching mentees with mentors: scores every pair, then solves one assignment problem.

Pure domain code: it takes plain frozen ``Candidate`` values (the caller loads and converts the
rows) and returns proposals with plain-English reasons; no Slack, no database, no I/O.

Reasons say only what is true: a mentor's level in a skill is named only when the mentor stated
it, shared interests and values are always named when there are any, and working-hours overlap is
told as the hours both people are at work. ``explain`` gives the score's parts for one pair.

Score of a pair (0-100, rounded to 0.1)::

    score = 100 * (w_s*S + w_i*I + w_v*V + w_t*T) / (w_s + w_i + w_v + w_t)

    S  skills     sum(need_g * level_g) / (5 * sum(need_g)) over the mentee's gaps g, where
                  need_g = 6 - the mentee's self-score (a 1/5 gap weighs 5, a 5/5 one weighs 1) and
                  level_g = the level the mentor stated for g, NEUTRAL_LEVEL when they offer g
                  without a stated level, 0 when they don't offer it; 0 with no gaps
    I  interests  min(1, shared / min(interest_cap, mentee's count, mentor's count))
    V  values     min(1, shared / min(value_cap, mentee's count, mentor's count))
    T  timezone   min(1, weekly overlap of working hours / full_overlap_minutes)

Interests, values and competencies are compared trimmed and case-insensitively. A pair is feasible
only if the mentor is active, has room (capacity - current load > 0; groups ignore capacity), is not
the mentee themselves, was never their mentor (in any program), offers at least one of the mentee's
gaps (when they named any), shares some working time, and scores at least ``min_score``.

Assignment: each mentor becomes ``remaining capacity`` identical slots (capped at the number of
mentees) and ``scipy.optimize.linear_sum_assignment`` minimises ``-score`` over mentees x slots.
Infeasible cells cost more than any achievable total score, so the solution first matches as many
mentees as possible, then maximises the total score; infeasible cells it was forced to use are
dropped afterwards. Groups are solved twice with the same machinery: one slot per active mentor
first, so every mentor who fits anyone leads a group, then ``group_size - 1`` slots each for the
members still without one.
"""

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped, unused-ignore]
from scipy.sparse import csr_array  # type: ignore[import-untyped, unused-ignore]

from storage.enums import Role

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WORKWEEK = frozenset({1, 2, 3, 4, 5})
DEFAULT_MIN_SCORE = 15.0
# Reasons per pair: up to three offered gaps, then interests, values and working hours.
MAX_SKILL_REASONS = 3
MAX_REASONS = MAX_SKILL_REASONS + 3
MAX_ALTERNATIVES = 3
MAX_LEVEL = 5
# A skill a mentor offers without a stated level (they joined before levels were asked) counts
# as the middle of the scale: neither favoured nor ruled out, and no reason names it as a level.
NEUTRAL_LEVEL = 3

# Scores are handled as integer tenths so the solver, ``fit`` and the brute force agree exactly.
_TENTHS = 10
_FULL_TENTHS = 100 * _TENTHS
# Rows of mentees scored at once: bounds the dense temporaries to a few MB each.
_CHUNK_ROWS = 256
_LISTED = 5
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Typographic dash for ranges (spelled out so linters do not mistake it for a hyphen).
_DASH = "\N{EN DASH}"
# The signs of the score's arithmetic as people read it (spelled out for the same reason).
_TIMES, _DIVIDED = "\N{MULTIPLICATION SIGN}", "\N{DIVISION SIGN}"

# scipy ships without type hints, so its sparse arrays are Any; the alias says what they hold.
_Sparse = Any
# A working-hours group: UTC offset, local start minute, length in minutes, ISO work days.
_TzKey = tuple[int, int, int, frozenset[int]]
# A stretch of a day: local start minute and length in minutes.
_Window = tuple[int, int]
_Int = NDArray[np.int64]
_Bool = NDArray[np.bool_]


@dataclass(frozen=True)
class Candidate:
    """One participant as matching sees them (a mentee's gaps or a mentor's offer).

    ``skills`` maps a skill to the mentee's self-score, or to the level the mentor offers it at;
    a mentor's ``None`` means they offer the skill but stated no level.
    """

    participant_id: int
    user_id: str
    role: Role
    skills: dict[str, int | None] = field(default_factory=dict, hash=False)
    interests: frozenset[str] = frozenset()
    values: frozenset[str] = frozenset()
    utc_offset_minutes: int = 0
    work_start_minute: int = 9 * 60
    work_end_minute: int = 18 * 60
    work_days: frozenset[int] = WORKWEEK
    capacity: int = 1
    current_load: int = 0
    active: bool = True

    def __post_init__(self) -> None:
        for minute in (self.work_start_minute, self.work_end_minute):
            if not 0 <= minute <= MINUTES_PER_DAY:
                raise ValueError(f"working-hours minute {minute} is outside 0-{MINUTES_PER_DAY}")
        if abs(self.utc_offset_minutes) > 14 * 60:
            raise ValueError(f"UTC offset {self.utc_offset_minutes} min is beyond +/-14 h")
        if not self.work_days <= frozenset(range(1, 8)):
            raise ValueError(f"work days {sorted(self.work_days)} are not ISO weekdays 1-7")

    @property
    def room(self) -> int:
        """Mentees this mentor can still take."""
        return max(self.capacity - self.current_load, 0)


@dataclass(frozen=True)
class MatchWeights:
    """How much each part of the fit counts, and where the capped parts saturate."""

    skills: float = 0.5
    interests: float = 0.15
    values: float = 0.1
    timezone: float = 0.25
    interest_cap: int = 3
    value_cap: int = 2
    # 4 h a day over a five-day week: enough for sessions at a comfortable time.
    full_overlap_minutes: int = 20 * 60

    def __post_init__(self) -> None:
        parts = (self.skills, self.interests, self.values, self.timezone)
        if min(parts) < 0 or sum(parts) <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        if min(self.interest_cap, self.value_cap, self.full_overlap_minutes) < 1:
            raise ValueError("caps must be at least 1")

    @property
    def total(self) -> float:
        """The sum of the four weights."""
        return self.skills + self.interests + self.values + self.timezone


@dataclass(frozen=True)
class Fit:
    """How well one mentor suits one mentee, and what (if anything) rules the pair out."""

    score: float
    reasons: list[str]
    blockers: list[str]

    @property
    def feasible(self) -> bool:
        """True when nothing rules the pair out."""
        return not self.blockers


@dataclass(frozen=True)
class ScorePart:
    """One part of a pair's fit: its weight, its value and what the value was computed from."""

    name: str
    # The part's share of the whole fit (its weight over the sum of the weights), 0 to 1.
    weight: float
    # How well the pair does on this part, 0 to 1.
    value: float
    # ``100 * weight * value``: the fit points this part brings.
    points: float
    # How ``value`` was reached, one line each, in plain words.
    basis: list[str]


@dataclass(frozen=True)
class Explanation:
    """A pair's fit with its parts, whose points add up to the score (give or take rounding)."""

    score: float
    parts: list[ScorePart]
    reasons: list[str]
    blockers: list[str]


@dataclass(frozen=True)
class Proposal:
    """A suggested pair, for the lead to approve, swap or decline.

    ``alternatives`` are the next best feasible mentors for this mentee, as (participant id,
    score), best first; they had room before this round but may have been given to someone else.
    """

    mentee_id: int
    mentor_id: int
    mentee_user_id: str
    mentor_user_id: str
    score: float
    reasons: list[str]
    alternatives: list[tuple[int, float]]


@dataclass(frozen=True)
class Unmatched:
    """A mentee (or group member) nobody was proposed for, and why."""

    mentee_id: int
    mentee_user_id: str
    reasons: list[str]


@dataclass(frozen=True)
class MatchResult:
    """Proposals best first, and the mentees left without one."""

    proposals: list[Proposal]
    unmatched: list[Unmatched]


@dataclass(frozen=True)
class Group:
    """A mentor with the members of their group."""

    mentor_id: int
    mentor_user_id: str
    mentee_ids: list[int]
    mentee_user_ids: list[str]
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class GroupResult:
    """Groups best first, members left out, and active mentors who got nobody."""

    groups: list[Group]
    unmatched: list[Unmatched]
    idle_mentor_ids: list[int]


# --- public API --------------------------------------------------------------------------------


def propose_matches(
    mentees: Sequence[Candidate],
    mentors: Sequence[Candidate],
    *,
    past_pairs: Collection[tuple[str, str]] = (),
    weights: MatchWeights = MatchWeights(),
    min_score: float = DEFAULT_MIN_SCORE,
) -> MatchResult:
    """Propose one mentor per mentee, maximising the number matched and then the total fit."""
    cohort = _build_cohort(mentees, mentors, past_pairs, weights, min_score, use_capacity=True)
    room = np.array([m.room if m.active else 0 for m in cohort.mentors.people], dtype=np.int64)
    pairs = _assign(cohort.tenths, cohort.feasible, room)
    alternatives = _alternatives(cohort, pairs)
    proposals = [
        _proposal(cohort, row, col, others)
        for (row, col), others in zip(pairs, alternatives, strict=True)
    ]
    proposals.sort(key=lambda p: (-p.score, p.mentee_id))
    later = "left for a later round: more mentees than mentor places"
    return MatchResult(proposals, _unmatched(cohort, {row for row, _ in pairs}, later))


def form_groups(
    members: Sequence[Candidate],
    mentors: Sequence[Candidate],
    *,
    group_size: int,
    past_pairs: Collection[tuple[str, str]] = (),
    weights: MatchWeights = MatchWeights(),
    min_score: float = DEFAULT_MIN_SCORE,
) -> GroupResult:
    """Give every active mentor a group of up to ``group_size`` members, chosen by fit."""
    if group_size < 1:
        raise ValueError("group_size must be at least 1")
    cohort = _build_cohort(members, mentors, past_pairs, weights, min_score, use_capacity=False)
    active = np.array([m.active for m in cohort.mentors.people], dtype=np.int64)
    first = _assign(cohort.tenths, cohort.feasible, active)
    others = cohort.feasible.copy()
    others[[row for row, _ in first]] = False
    pairs = first + _assign(cohort.tenths, others, active * (group_size - 1))
    by_mentor: dict[int, list[int]] = {}
    for row, col in pairs:
        by_mentor.setdefault(col, []).append(row)
    groups = [_group(cohort, col, rows) for col, rows in by_mentor.items()]
    groups.sort(key=lambda g: (-g.score, g.mentor_id))
    later = "left for a later round: more members than group places"
    return GroupResult(
        groups=groups,
        unmatched=_unmatched(cohort, {row for row, _ in pairs}, later),
        idle_mentor_ids=[
            mentor.participant_id
            for col, mentor in enumerate(cohort.mentors.people)
            if active[col] and col not in by_mentor
        ],
    )


def fit(
    mentee: Candidate,
    mentor: Candidate,
    weights: MatchWeights = MatchWeights(),
    *,
    past_pairs: Collection[tuple[str, str]] = (),
    min_score: float = DEFAULT_MIN_SCORE,
) -> Fit:
    """Score one pair with its reasons and, if it could not be proposed, what blocks it."""
    cohort = _build_cohort([mentee], [mentor], past_pairs, weights, min_score, use_capacity=True)
    overlap = int(cohort.overlap[cohort.mentees.tz_group[0], cohort.mentors.tz_group[0]])
    return Fit(
        score=int(cohort.tenths[0, 0]) / _TENTHS,
        reasons=_pair_reasons(mentee, mentor, overlap),
        blockers=_blockers(cohort, mentee, mentor, overlap),
    )


def explain(
    mentee: Candidate,
    mentor: Candidate,
    weights: MatchWeights = MatchWeights(),
    *,
    past_pairs: Collection[tuple[str, str]] = (),
    min_score: float = DEFAULT_MIN_SCORE,
) -> Explanation:
    """The score of one pair split into its parts (skills, interests, values, time overlap)."""
    result = fit(mentee, mentor, weights, past_pairs=past_pairs, min_score=min_score)
    share = 1 / weights.total
    overlap = working_overlap_minutes(mentee, mentor)
    interests = _share_part(
        "Shared interests",
        "interest",
        mentee.interests,
        mentor.interests,
        cap=weights.interest_cap,
        weight=weights.interests * share,
    )
    values = _share_part(
        "Shared values",
        "value",
        mentee.values,
        mentor.values,
        cap=weights.value_cap,
        weight=weights.values * share,
    )
    parts = [
        _skills_part(mentee, mentor, weights.skills * share),
        interests,
        values,
        _time_part(mentee, mentor, overlap, weights, weights.timezone * share),
    ]
    return Explanation(
        score=result.score, parts=parts, reasons=result.reasons, blockers=result.blockers
    )


def working_overlap_minutes(a: Candidate, b: Candidate) -> int:
    """Minutes a week both people are at work at the same moment (UTC offsets applied)."""
    return int(_group_overlap([_tz_key(a)], [_tz_key(b)])[0, 0])


# --- encoding both sides as matrices -------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _level(score: int | None) -> int:
    return NEUTRAL_LEVEL if score is None else min(max(int(score), 1), MAX_LEVEL)


def _gaps(mentee: Candidate) -> dict[str, tuple[str, int]]:
    """Normalised skill -> (the name as written, the self-score); a skill named twice keeps the
    lower score, as scoring does."""
    gaps: dict[str, tuple[str, int]] = {}
    for name, score in mentee.skills.items():
        key = _norm(name)
        if key and (key not in gaps or _level(score) < gaps[key][1]):
            gaps[key] = (name.strip(), _level(score))
    return gaps


def _offers(mentor: Candidate) -> dict[str, int | None]:
    """Normalised skill -> the stated level (None: offered without one); a skill named twice
    keeps the level scoring uses (the higher), a stated one on a tie."""
    offers: dict[str, int | None] = {}
    for name, level in mentor.skills.items():
        key = _norm(name)
        if not key:
            continue
        rank = (_level(level), level is not None)
        if key not in offers or rank > (_level(offers[key]), offers[key] is not None):
            offers[key] = None if level is None else _level(level)
    return offers


def _rows_to_sparse(rows: Sequence[Mapping[int, int]], width: int) -> _Sparse:
    indptr = np.cumsum([0, *(len(row) for row in rows)])
    indices = [col for row in rows for col in row]
    data = [value for row in rows for value in row.values()]
    return csr_array(
        (np.array(data, dtype=np.int32), np.array(indices, dtype=np.int32), indptr),
        shape=(len(rows), max(width, 1)),
    )


def _encode_terms(people: Sequence[Iterable[str]], vocab: dict[str, int]) -> list[dict[int, int]]:
    return [
        {vocab.setdefault(_norm(t), len(vocab)): 1 for t in terms if t.strip()} for terms in people
    ]


def _encode_skills(
    people: Sequence[Candidate], vocab: dict[str, int], *, as_need: bool
) -> list[dict[int, int]]:
    rows = []
    for person in people:
        row: dict[int, int] = {}
        if as_need:
            for key, (_, score) in _gaps(person).items():
                row[vocab.setdefault(key, len(vocab))] = MAX_LEVEL + 1 - score
        else:
            for key, level in _offers(person).items():
                row[vocab.setdefault(key, len(vocab))] = _level(level)
        rows.append(row)
    return rows


@dataclass(frozen=True)
class _Side:
    """One side of the market, encoded: skills, interests and values as sparse rows."""

    people: tuple[Candidate, ...]
    skills: _Sparse
    interests: _Sparse
    values: _Sparse
    interest_counts: _Int
    value_counts: _Int
    tz_group: _Int


def _encode_sides(
    mentees: Sequence[Candidate], mentors: Sequence[Candidate]
) -> tuple[_Side, _Side, NDArray[np.int32]]:
    vocabs: list[dict[str, int]] = [{}, {}, {}]
    raw = [
        (
            _encode_skills(side, vocabs[0], as_need=side is mentees),
            _encode_terms([p.interests for p in side], vocabs[1]),
            _encode_terms([p.values for p in side], vocabs[2]),
        )
        for side in (mentees, mentors)
    ]
    tz_keys: list[dict[_TzKey, int]] = [{}, {}]
    sides = []
    for people, (skills, interests, values), keys in zip(
        (mentees, mentors), raw, tz_keys, strict=True
    ):
        groups = [keys.setdefault(_tz_key(p), len(keys)) for p in people]
        sides.append(
            _Side(
                people=tuple(people),
                skills=_rows_to_sparse(skills, len(vocabs[0])),
                interests=_rows_to_sparse(interests, len(vocabs[1])),
                values=_rows_to_sparse(values, len(vocabs[2])),
                interest_counts=np.array([len(r) for r in interests], dtype=np.int64),
                value_counts=np.array([len(r) for r in values], dtype=np.int64),
                tz_group=np.array(groups, dtype=np.int64),
            )
        )
    return sides[0], sides[1], _group_overlap(list(tz_keys[0]), list(tz_keys[1]))


# --- working-hours overlap, per distinct (offset, window, days) group ----------------------------


def _tz_key(person: Candidate) -> _TzKey:
    # A window ending at or before its start runs past midnight; equal ends mean round the clock.
    length = (person.work_end_minute - person.work_start_minute) % MINUTES_PER_DAY
    start = person.work_start_minute % MINUTES_PER_DAY
    return (person.utc_offset_minutes, start, length or MINUTES_PER_DAY, person.work_days)


def _week_bitmaps(keys: Sequence[_TzKey], step: int) -> NDArray[np.float32]:
    """Each group's working time as a bitmap over a UTC reference week, ``step`` minutes a cell."""
    cells = MINUTES_PER_WEEK // step
    bitmaps = np.zeros((len(keys), cells), dtype=np.float32)
    for row, (offset, start, length, days) in enumerate(keys):
        for day in days:
            first = ((day - 1) * MINUTES_PER_DAY + start - offset) % MINUTES_PER_WEEK // step
            bitmaps[row, (first + np.arange(length // step)) % cells] = 1.0
    return bitmaps


def _group_overlap(
    mentee_keys: Sequence[_TzKey], mentor_keys: Sequence[_TzKey]
) -> NDArray[np.int32]:
    """Weekly overlap minutes between every mentee group and every mentor group."""
    bounds = [value for key in (*mentee_keys, *mentor_keys) for value in key[:3]]
    # The coarsest grid on which every window starts and ends exactly: 60 or 15 min in practice.
    step = reduce(math.gcd, bounds, MINUTES_PER_DAY)
    mentor_bits = _week_bitmaps(mentor_keys, step)
    out = np.zeros((len(mentee_keys), len(mentor_keys)), dtype=np.int32)
    for start in range(0, len(mentee_keys), _CHUNK_ROWS):
        chunk = _week_bitmaps(mentee_keys[start : start + _CHUNK_ROWS], step)
        out[start : start + len(chunk)] = (chunk @ mentor_bits.T).astype(np.int32) * step
    return out


# --- scoring every pair --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cohort:
    """Both sides, sorted by participant id, with the score and feasibility of every pair."""

    mentees: _Side
    mentors: _Side
    overlap: NDArray[np.int32]
    tenths: NDArray[np.int16]
    feasible: _Bool
    col_ok: _Bool
    selves: dict[int, set[int]]
    past: dict[int, set[int]]
    min_tenths: int
    weights: MatchWeights


def _capped_share(shared: NDArray[Any], own: _Int, other: _Int, cap: int) -> NDArray[np.float64]:
    scale = np.minimum(np.minimum(own[:, None], other[None, :]), cap)
    share: NDArray[np.float64] = np.zeros(shared.shape)
    np.divide(shared, scale, out=share, where=scale > 0)
    return np.minimum(share, 1.0)


def _chunk_scores(
    mentees: _Side, mentors: _Side, overlap: NDArray[np.int32], rows: slice, w: MatchWeights
) -> tuple[NDArray[np.int16], _Bool, NDArray[np.int32]]:
    """Score tenths, 'covers a gap (or none named)' and overlap minutes for a block of mentees."""
    gaps = mentees.skills[rows]
    offered = np.asarray((gaps @ mentors.skills.T).toarray(), dtype=np.float64)
    need = np.asarray(gaps.sum(axis=1), dtype=np.float64).reshape(-1, 1)
    skill = np.divide(offered, MAX_LEVEL * need, out=np.zeros(offered.shape), where=need > 0)
    shared_i = (mentees.interests[rows] @ mentors.interests.T).toarray()
    shared_v = (mentees.values[rows] @ mentors.values.T).toarray()
    interest = _capped_share(
        shared_i, mentees.interest_counts[rows], mentors.interest_counts, w.interest_cap
    )
    value = _capped_share(shared_v, mentees.value_counts[rows], mentors.value_counts, w.value_cap)
    minutes = overlap[np.ix_(mentees.tz_group[rows], mentors.tz_group)]
    tz = np.minimum(minutes / w.full_overlap_minutes, 1.0)
    total = w.skills * skill + w.interests * interest + w.values * value + w.timezone * tz
    tenths = np.rint(total * (_FULL_TENTHS / w.total)).astype(np.int16)
    return tenths, (offered > 0) | (need == 0), minutes


def _index_by_user(people: Sequence[Candidate]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, person in enumerate(people):
        index.setdefault(person.user_id, []).append(i)
    return index


def _pair_sets(
    mentees: Sequence[Candidate],
    mentors: Sequence[Candidate],
    past_pairs: Collection[tuple[str, str]],
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """(mentee row -> mentor columns that are themselves), (... -> their past mentors)."""
    mentee_rows, mentor_cols = _index_by_user(mentees), _index_by_user(mentors)
    selves: dict[int, set[int]] = {}
    past: dict[int, set[int]] = {}
    for user_id, rows in mentee_rows.items():
        for row in rows:
            selves.setdefault(row, set()).update(mentor_cols.get(user_id, []))
    for mentor_user, mentee_user in past_pairs:
        for row in mentee_rows.get(mentee_user, []):
            past.setdefault(row, set()).update(mentor_cols.get(mentor_user, []))
    return selves, past


def _check_roles(people: Sequence[Candidate], role: Role) -> tuple[Candidate, ...]:
    wrong = [p.participant_id for p in people if p.role != role]
    if wrong:
        raise ValueError(f"participants {wrong} are not {role.value}s")
    return tuple(sorted(people, key=lambda p: (p.participant_id, p.user_id)))


def _build_cohort(
    mentees: Sequence[Candidate],
    mentors: Sequence[Candidate],
    past_pairs: Collection[tuple[str, str]],
    weights: MatchWeights,
    min_score: float,
    *,
    use_capacity: bool,
) -> _Cohort:
    # Sorting makes the result independent of the order the caller loaded the rows in.
    mentee_side, mentor_side, overlap = _encode_sides(
        _check_roles(mentees, Role.MENTEE), _check_roles(mentors, Role.MENTOR)
    )
    col_ok = np.array(
        [m.active and (m.room > 0 or not use_capacity) for m in mentor_side.people], dtype=bool
    )
    min_tenths = math.ceil(min_score * _TENTHS - 1e-9)
    shape = (len(mentee_side.people), len(mentor_side.people))
    tenths, feasible = np.zeros(shape, dtype=np.int16), np.zeros(shape, dtype=bool)
    for start in range(0, shape[0], _CHUNK_ROWS):
        rows = slice(start, min(start + _CHUNK_ROWS, shape[0]))
        block, covers, minutes = _chunk_scores(mentee_side, mentor_side, overlap, rows, weights)
        tenths[rows] = block
        feasible[rows] = covers & (minutes > 0) & (block >= min_tenths) & col_ok[None, :]
    selves, past = _pair_sets(mentee_side.people, mentor_side.people, past_pairs)
    for row, cols in (*selves.items(), *past.items()):
        feasible[row, sorted(cols)] = False
    return _Cohort(
        mentees=mentee_side,
        mentors=mentor_side,
        overlap=overlap,
        tenths=tenths,
        feasible=feasible,
        col_ok=col_ok,
        selves=selves,
        past=past,
        min_tenths=min_tenths,
        weights=weights,
    )


# --- the assignment ------------------------------------------------------------------------------


def _keep_top_slots(keys: NDArray[np.int16], slots: _Int, needed: int) -> _Bool:
    """Per mentee, the best mentors whose slots add up to ``needed``: an optimum only uses these.

    If a mentee sat with a mentor outside that list, the other mentees could fill at most
    ``needed - 1`` of the list's slots, so a free one, no worse, would be there to move to.
    """
    order = np.argsort(-keys, axis=1, kind="stable")
    ranked_slots = np.where(np.take_along_axis(keys, order, axis=1) >= 0, slots[order], 0)
    before = np.cumsum(ranked_slots, axis=1) - ranked_slots
    keep = np.zeros(keys.shape, dtype=bool)
    np.put_along_axis(keep, order, (before < needed) & (ranked_slots > 0), axis=1)
    return keep


def _assign(tenths: NDArray[np.int16], feasible: _Bool, slots: _Int) -> list[tuple[int, int]]:
    """Optimal (mentee row, mentor column) pairs, each column used at most ``slots`` times."""
    rows = np.flatnonzero(feasible.any(axis=1))
    cols = np.flatnonzero(feasible.any(axis=0) & (slots > 0))
    if not len(rows) or not len(cols):
        return []
    sub = feasible[np.ix_(rows, cols)]
    slots = np.minimum(slots[cols], sub.sum(axis=0))
    if slots.sum() > len(rows):
        keys = np.where(sub, tenths[np.ix_(rows, cols)], np.int16(-1))
        sub &= _keep_top_slots(keys, slots, len(rows))
        slots = np.minimum(slots, sub.sum(axis=0))
    slots = np.minimum(slots, len(rows))
    slot_col = np.repeat(np.arange(len(cols)), slots)
    # Slots as rows whenever there are no more of them than mentees: the solver is faster so.
    by_slot = len(slot_col) <= len(rows)
    cost = _slot_costs(tenths[np.ix_(rows, cols)], sub, slots, by_slot=by_slot)
    if by_slot:
        picked_slots, picked_rows = linear_sum_assignment(cost)
    else:
        picked_rows, picked_slots = linear_sum_assignment(cost)
    return [
        (int(rows[r]), int(cols[slot_col[s]]))
        for r, s in zip(picked_rows, picked_slots, strict=True)
        if sub[r, slot_col[s]]
    ]


def _slot_costs(
    tenths: NDArray[np.int16], feasible: _Bool, slots: _Int, *, by_slot: bool
) -> NDArray[np.float64]:
    """The cost of every (mentee, slot) cell; slots are the rows when ``by_slot``.

    The solver copies a matrix with more rows than columns into the other shape, so it is built
    in the shape it is solved in, a block of rows at a time, to hold the largest array only once.
    """
    n_mentees, n_slots = tenths.shape[0], int(slots.sum())
    # Dearer than the whole spread of achievable totals: fewer matches never pays off.
    spread = float(_FULL_TENTHS * (min(n_mentees, n_slots) + 1))
    if by_slot:
        slot_col = np.repeat(np.arange(len(slots)), slots)
        return _cost_rows(tenths.T, feasible.T, spread, slot_col)
    return _cost_rows(tenths, feasible, spread, np.arange(n_mentees), repeat=slots)


def _cost_rows(
    tenths: NDArray[np.int16],
    feasible: _Bool,
    spread: float,
    rows: _Int,
    repeat: _Int | None = None,
) -> NDArray[np.float64]:
    """``-tenths`` (``spread`` where infeasible) at ``rows``, each column repeated ``repeat``."""
    # Row-major copies, so each block gathers whole contiguous rows.
    tenths, feasible = np.ascontiguousarray(tenths), np.ascontiguousarray(feasible)
    width = tenths.shape[1] if repeat is None else int(repeat.sum())
    cost = np.empty((len(rows), width))
    for start in range(0, len(rows), _CHUNK_ROWS):
        picked = rows[start : start + _CHUNK_ROWS]
        block = -tenths[picked].astype(np.float64)
        block[~feasible[picked]] = spread
        cost[start : start + len(picked)] = block if repeat is None else np.repeat(block, repeat, 1)
    return cost


# --- explaining a pair ---------------------------------------------------------------------------


def _join(items: Sequence[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _listed(items: Sequence[str]) -> str:
    shown = list(items[:_LISTED])
    more = len(items) - len(shown)
    return f"{', '.join(shown)} and {more} more" if more else _join(shown)


def _terms(items: Iterable[str]) -> dict[str, str]:
    """Normalised term -> the term as the person wrote it."""
    return {_norm(t): t.strip() for t in items if t.strip()}


def _shared(mine: Iterable[str], theirs: Iterable[str]) -> list[str]:
    own = _terms(mine)
    return [own[key] for key in sorted(own.keys() & _terms(theirs).keys())]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _duration(minutes: int) -> str:
    """Minutes as people say them: 45 min, 3 h, 3 h 30 min."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _utc(offset_minutes: int) -> str:
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def _mention(user_id: str) -> str:
    return f"<@{user_id}>"


def _days(days: Iterable[int]) -> str:
    """ISO weekdays as people say them: Mon-Fri (with an en dash), or Mon, Wed and Fri."""
    numbers = sorted(set(days))
    names = [_WEEKDAYS[d - 1] for d in numbers]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{names[0]}{_DASH}{names[-1]}"
    return _join(names)


def _window(start: int, length: int) -> str:
    """A stretch of a day in 24-hour clock times; one past midnight ends the next morning."""
    end = start + length
    shown = end if end == MINUTES_PER_DAY else end % MINUTES_PER_DAY
    return f"{start // 60:02d}:{start % 60:02d}{_DASH}{shown // 60:02d}:{shown % 60:02d}"


def _work_stretches(key: _TzKey) -> list[tuple[int, int]]:
    """Someone's working time as [start, end) minutes of a UTC week that starts on Monday."""
    offset, start, length, days = key
    stretches = []
    for day in days:
        first = ((day - 1) * MINUTES_PER_DAY + start - offset) % MINUTES_PER_WEEK
        if first + length <= MINUTES_PER_WEEK:
            stretches.append((first, first + length))
        else:
            stretches += [(first, MINUTES_PER_WEEK), (0, first + length - MINUTES_PER_WEEK)]
    return stretches


def _common_stretches(a: _TzKey, b: _TzKey) -> list[tuple[int, int]]:
    """The stretches of the UTC week both are at work, merged; one may run past the week's end."""
    pieces = sorted(
        (max(s1, s2), min(e1, e2))
        for s1, e1 in _work_stretches(a)
        for s2, e2 in _work_stretches(b)
        if max(s1, s2) < min(e1, e2)
    )
    merged: list[list[int]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    # A stretch that reaches the end of the week goes on at its start (Sunday into Monday).
    if len(merged) > 1 and merged[0][0] == 0 and merged[-1][1] == MINUTES_PER_WEEK:
        merged[-1][1] += merged.pop(0)[1]
    return [(start, end) for start, end in merged]


def _local_windows(stretches: Sequence[tuple[int, int]], offset: int) -> dict[_Window, list[int]]:
    """(local start minute, length) -> the ISO weekdays it falls on, at UTC ``offset``."""
    windows: dict[_Window, list[int]] = {}
    for start, end in stretches:
        day, minute = divmod((start + offset) % MINUTES_PER_WEEK, MINUTES_PER_DAY)
        windows.setdefault((minute, end - start), []).append(day + 1)
    return windows


@lru_cache(maxsize=4096)
def _overlap_words(mentee: _TzKey, mentor: _TzKey) -> str:
    """When both are at work, in each one's own clock time (cached: few distinct schedules)."""
    stretches = _common_stretches(mentee, mentor)
    total = sum(end - start for start, end in stretches)
    if not total:
        return "no overlapping working hours"
    mine, theirs = _local_windows(stretches, mentee[0]), _local_windows(stretches, mentor[0])
    weekly = f"working hours overlap {_duration(total)} a week"
    if any(length >= MINUTES_PER_DAY for _, length in mine):
        return weekly  # round the clock: no day or window to name
    if len(mine) != 1:
        return f"{weekly} ({_days(day for days in mine.values() for day in days)} for the mentee)"
    [((start, length), days)] = mine.items()
    [((their_start, _), their_days)] = theirs.items()
    if mentee[0] == mentor[0]:
        return f"both at work {_window(start, length)}, {_days(days)}, in the same timezone"
    other_days = "" if sorted(their_days) == sorted(days) else f"{_days(their_days)} "
    return (
        f"working hours overlap {_duration(length)} a day, {_days(days)}: "
        f"{_window(start, length)} for the mentee, "
        f"{other_days}{_window(their_start, length)} for the mentor"
    )


def overlap_words(mentee: Candidate, mentor: Candidate) -> str:
    """When both people are at work, in words: the hours a day and each one's clock times."""
    return _overlap_words(_tz_key(mentee), _tz_key(mentor))


def _which_gap(score: int, gaps: Mapping[str, tuple[str, int]]) -> str:
    lowest = min(s for _, s in gaps.values())
    if score != lowest:
        return "a gap"
    tied = sum(s == lowest for _, s in gaps.values()) > 1
    return "one of their biggest gaps" if tied else "their biggest gap"


def _skill_reasons(mentee: Candidate, mentor: Candidate) -> list[str]:
    """One line per gap the mentor offers, most fit points first; a level only if stated."""
    gaps, offers = _gaps(mentee), _offers(mentor)
    total_need = sum(MAX_LEVEL + 1 - score for _, score in gaps.values())
    found = []
    for key, (name, score) in gaps.items():
        if key not in offers:
            continue
        level = offers[key]
        points = (MAX_LEVEL + 1 - score) * _level(level) / (MAX_LEVEL * total_need)
        offered = (
            f"offers {name} (level not stated)" if level is None else f"offers {name} at {level}/5"
        )
        text = f"{offered}, {_which_gap(score, gaps)} (self-rated {score}/5)"
        found.append((-points, key, text))
    return [text for _, _, text in sorted(found)][:MAX_SKILL_REASONS]


def _shared_line(noun: str, mine: Iterable[str], theirs: Iterable[str]) -> list[str]:
    shared = _shared(mine, theirs)
    if not shared:
        return []
    return [f"shared {noun if len(shared) == 1 else noun + 's'}: {_listed(shared)}"]


def _pair_reasons(mentee: Candidate, mentor: Candidate, overlap: int) -> list[str]:
    """Every true reason for a pair's fit: the gaps the mentor offers (most points first), then
    shared interests, shared values and the hours both are at work."""
    found = _skill_reasons(mentee, mentor)
    found += _shared_line("interest", mentee.interests, mentor.interests)
    found += _shared_line("value", mentee.values, mentor.values)
    if overlap > 0:
        found.append(overlap_words(mentee, mentor))
    return found


def _skills_part(mentee: Candidate, mentor: Candidate, weight: float) -> ScorePart:
    gaps, offers = _gaps(mentee), _offers(mentor)
    if not gaps:
        return ScorePart("Skills", weight, 0.0, 0.0, ["the mentee named no skills to grow"])
    basis, got, most = [], 0, 0
    for key, (name, score) in sorted(gaps.items(), key=lambda item: (item[1][1], item[0])):
        need, level = MAX_LEVEL + 1 - score, _level(offers[key]) if key in offers else 0
        if key not in offers:
            offered = "not offered, so it counts 0"
        elif offers[key] is None:
            offered = f"offered with no level stated, so it counts {NEUTRAL_LEVEL} (the middle)"
        else:
            offered = f"offered at level {level}/5"
        got, most = got + need * level, most + MAX_LEVEL * need
        basis.append(f"{name}: self-rated {score}/5, a need of {need}; {offered}")
    value = got / most
    summed = f"need {_TIMES} level, summed, out of 5 {_TIMES} the needs"
    basis.append(f"{summed}: {got} {_DIVIDED} {most} = {value:.2f}")
    return ScorePart("Skills", weight, value, 100 * weight * value, basis)


def _share_part(
    name: str, noun: str, mine: Iterable[str], theirs: Iterable[str], *, cap: int, weight: float
) -> ScorePart:
    shared = _shared(mine, theirs)
    own, other = len(_terms(mine)), len(_terms(theirs))
    scale = min(cap, own, other)
    value = min(len(shared) / scale, 1.0) if scale else 0.0
    basis = [f"shared: {_listed(shared)}" if shared else f"no {noun}s shared"]
    lists = f"the mentee lists {_plural(own, noun)}, the mentor {_plural(other, noun)}"
    if scale:
        counted = min(len(shared), scale)
        share = f"{counted} {_DIVIDED} {scale} = {value:.2f}"
        basis.append(f"{lists}; {scale} shared count fully: {share}")
    else:
        basis.append(f"{lists}, so there is nothing to compare")
    return ScorePart(name, weight, value, 100 * weight * value, basis)


def _time_part(
    mentee: Candidate, mentor: Candidate, overlap: int, w: MatchWeights, weight: float
) -> ScorePart:
    value = min(overlap / w.full_overlap_minutes, 1.0)
    basis = [
        overlap_words(mentee, mentor),
        f"the mentee's clock is {_utc(mentee.utc_offset_minutes)}, "
        f"the mentor's {_utc(mentor.utc_offset_minutes)}",
        f"{_duration(overlap)} a week in common, out of {_duration(w.full_overlap_minutes)} "
        f"that count fully: {value:.2f}",
    ]
    return ScorePart("Time overlap", weight, value, 100 * weight * value, basis)


def _blockers(cohort: _Cohort, mentee: Candidate, mentor: Candidate, overlap: int) -> list[str]:
    """Why one pair could not be proposed, in the order a lead would check."""
    checks = [
        (mentee.user_id == mentor.user_id, "a mentor cannot be matched with themselves"),
        (not mentor.active, "the mentor is paused or has left"),
        (
            mentor.active and mentor.room <= 0,
            f"the mentor is at capacity ({mentor.current_load} of {mentor.capacity})",
        ),
        (bool(cohort.past.get(0)), "the mentor was already their mentor"),
        (
            overlap <= 0,
            f"no overlapping working hours (mentee is {_utc(mentee.utc_offset_minutes)}, "
            f"mentor is {_utc(mentor.utc_offset_minutes)})",
        ),
    ]
    blockers = [text for failed, text in checks if failed]
    covers = bool(_covers_row(cohort, 0)[0])
    if not covers:
        blockers.append(f"offers none of their gaps ({_join(_gap_names(mentee), 'or')})")
    if covers and overlap > 0 and int(cohort.tenths[0, 0]) < cohort.min_tenths:
        fit_score = int(cohort.tenths[0, 0]) / _TENTHS
        blockers.append(
            f"fit {fit_score:g} is below the minimum of {cohort.min_tenths / _TENTHS:g}"
        )
    return blockers


def _alternatives(
    cohort: _Cohort, pairs: Sequence[tuple[int, int]]
) -> list[list[tuple[int, float]]]:
    """For each chosen pair, the next best feasible mentors (ties: lower participant id first)."""
    found: list[list[tuple[int, float]]] = []
    for start in range(0, len(pairs), _CHUNK_ROWS):
        found.extend(_alternatives_block(cohort, pairs[start : start + _CHUNK_ROWS]))
    return found


def _alternatives_block(
    cohort: _Cohort, pairs: Sequence[tuple[int, int]]
) -> list[list[tuple[int, float]]]:
    rows, chosen = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
    n_cols = cohort.tenths.shape[1]
    # One unique key per cell: the score first, then the lower column (= participant id).
    keys = cohort.tenths[rows].astype(np.int64) * n_cols + (n_cols - 1 - np.arange(n_cols))
    keys[~cohort.feasible[rows]] = -1
    keys[np.arange(len(rows)), chosen] = -1
    top = min(MAX_ALTERNATIVES, n_cols)
    best = np.argpartition(-keys, top - 1, axis=1)[:, :top]
    best = np.take_along_axis(best, np.argsort(-np.take_along_axis(keys, best, 1), 1), 1)
    mentors = cohort.mentors.people
    return [
        [
            (mentors[c].participant_id, int(cohort.tenths[r, c]) / _TENTHS)
            for c in line
            if cohort.feasible[r, c] and c != picked
        ]
        for r, picked, line in zip(rows, chosen, best.tolist(), strict=True)
    ]


def _proposal(
    cohort: _Cohort, row: int, col: int, alternatives: list[tuple[int, float]]
) -> Proposal:
    mentee, mentor = cohort.mentees.people[row], cohort.mentors.people[col]
    overlap = int(cohort.overlap[cohort.mentees.tz_group[row], cohort.mentors.tz_group[col]])
    return Proposal(
        mentee_id=mentee.participant_id,
        mentor_id=mentor.participant_id,
        mentee_user_id=mentee.user_id,
        mentor_user_id=mentor.user_id,
        score=int(cohort.tenths[row, col]) / _TENTHS,
        reasons=_pair_reasons(mentee, mentor, overlap),
        alternatives=alternatives,
    )


# --- explaining who was left out ------------------------------------------------------------------


def _gap_names(mentee: Candidate) -> list[str]:
    """The mentee's gaps, biggest first."""
    gaps = sorted((_level(v), _norm(k), k.strip()) for k, v in mentee.skills.items() if k.strip())
    return [name for _, _, name in gaps]


def _covers_row(cohort: _Cohort, row: int) -> _Bool:
    """Which mentors offer at least one of this mentee's gaps (all of them if none are named)."""
    gaps = cohort.mentees.skills[row : row + 1]
    if not gaps.nnz:
        return np.ones(len(cohort.mentors.people), dtype=bool)
    return np.asarray((gaps @ cohort.mentors.skills.T).toarray()[0] > 0, dtype=bool)


def _offered_gaps(cohort: _Cohort, row: int, cols: _Bool) -> str:
    mentee = cohort.mentees.people[row]
    offered = {_norm(k) for i in np.flatnonzero(cols) for k in cohort.mentors.people[i].skills}
    return _join([g for g in _gap_names(mentee) if _norm(g) in offered], "or")


def _mentions(cohort: _Cohort, cols: _Bool) -> str:
    users = [_mention(cohort.mentors.people[i].user_id) for i in np.flatnonzero(cols)]
    return _listed(users)


def _no_mentor_reason(base: _Bool) -> str:
    if not len(base):
        return "the program has no mentors yet"
    if not base.any():
        return "the program has no mentor but themselves"
    idle = int(base.sum())
    return f"no mentor is active ({_plural(idle, 'mentor')} paused or left)"


def _no_skill_reason(cohort: _Cohort, row: int, others: _Bool) -> str:
    wanted = _join(_gap_names(cohort.mentees.people[row]), "or")
    if (_covers_row(cohort, row) & others).any():
        return f"no active mentor offers {wanted}"
    return f"no mentor offers {wanted}"


def _capacity_reason(cohort: _Cohort, row: int, before: _Bool, after: _Bool) -> str:
    full = before & ~after
    if not cohort.mentees.people[row].skills:
        return "every active mentor is at capacity" if not after.any() else ""
    skills = _offered_gaps(cohort, row, full)
    if not after.any():
        return f"every mentor who offers {skills} is at capacity"
    if full.sum() == 1:
        return f"1 other mentor who offers {skills} is at capacity"
    return f"{int(full.sum())} other mentors who offer {skills} are at capacity"


def _past_reason(cohort: _Cohort, row: int, before: _Bool, after: _Bool) -> str:
    repeat = before & ~after
    who, count = _mentions(cohort, repeat), int(repeat.sum())
    if after.any():
        return f"{who} {'was' if count == 1 else 'were'} already their mentor"
    if count == 1:
        return f"the only fitting mentor ({who}) was already their mentor"
    return f"all {count} fitting mentors ({who}) were already their mentors"


def _timezone_reason(cohort: _Cohort, row: int, before: _Bool, after: _Bool) -> str:
    zone = _utc(cohort.mentees.people[row].utc_offset_minutes)
    if not after.any():
        return f"no fitting mentor's working hours overlap theirs (mentee is {zone})"
    apart = int((before & ~after).sum())
    return f"{_plural(apart, 'fitting mentor')} work hours that never overlap theirs ({zone})"


def _unmatched(cohort: _Cohort, matched: set[int], later: str) -> list[Unmatched]:
    return [
        Unmatched(person.participant_id, person.user_id, _why_unmatched(cohort, row, later))
        for row, person in enumerate(cohort.mentees.people)
        if row not in matched
    ]


def _why_unmatched(cohort: _Cohort, row: int, later: str) -> list[str]:
    """Walk the rules in the order a lead checks them; the rule that empties the list decides."""
    feasible = cohort.feasible[row]
    if feasible.any():
        places = _plural(int(feasible.sum()), "fitting mentor")
        return [later, f"the places of their {places} went to other mentees"]
    mentors = cohort.mentors.people
    base = np.ones(len(mentors), dtype=bool)
    base[sorted(cohort.selves.get(row, set()))] = False
    active = base & np.array([m.active for m in mentors], dtype=bool)
    if not active.any():
        return [_no_mentor_reason(base)]
    skilled = active & _covers_row(cohort, row)
    if not skilled.any():
        return [_no_skill_reason(cohort, row, base)]
    with_room = skilled & cohort.col_ok
    fresh = with_room.copy()
    fresh[sorted(cohort.past.get(row, set()))] = False
    minutes = cohort.overlap[cohort.mentees.tz_group[row], cohort.mentors.tz_group]
    overlapping = fresh & (minutes > 0)
    stages = [
        (skilled, with_room, _capacity_reason),
        (with_room, fresh, _past_reason),
        (fresh, overlapping, _timezone_reason),
    ]
    # Only stages that still had mentors to lose speak; the last of them emptied the list.
    said = [rule(cohort, row, b, a) for b, a, rule in stages if b.any() and (b & ~a).any()]
    said = [text for text in said if text]
    if overlapping.any():
        floor = cohort.min_tenths / _TENTHS
        said.append(f"every fitting mentor's fit is below the minimum of {floor:g}")
    return [said[-1], *said[:-1]]


# --- groups --------------------------------------------------------------------------------------


def _members(count: int, size: int) -> str:
    if count < size:
        return f"{count} of {size} members"
    return f"all {size} members" if size > 1 else "their one member"


def _common_terms(
    offered: Iterable[str], held: Sequence[Iterable[str]]
) -> list[tuple[int, str, str, str]]:
    """(members who hold it, normalised term, term, who) per term of the mentor's that some
    members hold too, most widely held first."""
    sets = [_terms(terms) for terms in held]
    found = []
    for key, term in _terms(offered).items():
        count = sum(key in own for own in sets)
        if count:
            found.append((count, key, term, _members(count, len(sets))))
    return sorted(found, key=lambda item: (-item[0], item[1]))


def _group_reasons(mentor: Candidate, members: Sequence[Candidate], overlap: int) -> list[str]:
    """What the group has in common with its mentor: gaps offered (most widely held first), then
    every shared interest and value, then the working hours they share."""
    offers = _offers(mentor)
    found = []
    for _, key, term, who in _common_terms(mentor.skills, [m.skills for m in members]):
        level = offers[key]
        offered = (
            f"offers {term} (level not stated)" if level is None else f"offers {term} at {level}/5"
        )
        found.append(f"{offered}, a gap for {who}")
    found = found[:MAX_SKILL_REASONS]
    for noun, offered_terms, held in (
        ("interest", mentor.interests, [m.interests for m in members]),
        ("value", mentor.values, [m.values for m in members]),
    ):
        common = [f"{term} ({who})" for _, _, term, who in _common_terms(offered_terms, held)]
        if common:
            found.append(f"shared {noun if len(common) == 1 else noun + 's'}: {_listed(common)}")
    if overlap > 0:
        everyone = _members(len(members), len(members))
        found.append(f"working hours overlap at least {_duration(overlap)} a week with {everyone}")
    return found


def _group(cohort: _Cohort, col: int, rows: Sequence[int]) -> Group:
    mentor = cohort.mentors.people[col]
    people = cohort.mentees.people
    ordered = sorted(rows, key=lambda r: (-int(cohort.tenths[r, col]), people[r].participant_id))
    overlaps = cohort.overlap[cohort.mentees.tz_group[ordered], cohort.mentors.tz_group[col]]
    members = [people[r] for r in ordered]
    return Group(
        mentor_id=mentor.participant_id,
        mentor_user_id=mentor.user_id,
        mentee_ids=[m.participant_id for m in members],
        mentee_user_ids=[m.user_id for m in members],
        score=round(float(cohort.tenths[ordered, col].mean()) / _TENTHS, 1),
        reasons=_group_reasons(mentor, members, int(overlaps.min())),
    )
