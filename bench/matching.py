"""Benchmark of the matching engine on generated populations (seeded), of several shapes.

    python bench/matching.py                                   # skewed shape: 1k x 200, 10k x 2k, 50k x 10k
    python bench/matching.py --sizes 1k,10k,50k --shapes all   # every shape (SHAPES below)
    python bench/matching.py --sizes 1k,10k --shapes all --baselines   # + greedy and the dense exact solver
    python bench/matching.py --sizes 50k --shapes skewed --stall       # + the event loop's longest stall

Each shape, size and method runs in a fresh child process so that its peak memory (VmHWM) is its own (it
includes the generated profiles). Prints, per shape and size, the engine's time split (candidate building,
solve, certification), then one table (wall and CPU time, peak memory, rounds, total score, pairs). The
dense exact solver (scipy `linear_sum_assignment` over mentor slots) is skipped at 50k, where the dense
matrix alone would be 50,000 x 30,081 float64 = 12 GB; so is greedy (sorting all 250M eligible pairs).
`--stall` runs the round again through `match_off_loop` (a one-worker process pool, as the bot does) while
a probe coroutine sleeps 5 ms in a loop, and reports the largest gap beyond the nap.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cogs.mentorship.matching_runner import match_off_loop, matching_executor  # noqa: E402
from config.content import default_themes  # noqa: E402
from engine.matching import (  # noqa: E402
    MenteeProfile,
    MentorProfile,
    Objective,
    Weights,
    block_scoring,
    match,
    offset_minutes,
)
from engine.matching.population import encode  # noqa: E402

SIZES = {"1k": (1_000, 200), "10k": (10_000, 2_000), "50k": (50_000, 10_000)}
AT = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)  # between the US and EU DST changes
TIMEZONES = [
    "America/Los_Angeles", "America/New_York", "America/Chicago", "America/Denver", "America/Toronto",
    "America/Vancouver", "America/Sao_Paulo", "America/Mexico_City", "Pacific/Honolulu", "Europe/London",
    "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam", "Europe/Madrid", "Europe/Stockholm", "Africa/Johannesburg",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Singapore",
    "Asia/Manila", "Asia/Hong_Kong", "Asia/Shanghai", "Asia/Seoul", "Asia/Tokyo", "Australia/Perth",
    "Australia/Sydney", "Pacific/Auckland",
]  # fmt: skip
HERITAGES = [
    "filipino", "japanese", "chinese", "korean", "vietnamese", "indian", "irish", "english", "scottish", "german",
    "mexican", "thai", "malaysian", "indonesian", "pakistani", "bangladeshi", "sri lankan", "nepali", "taiwanese",
    "hong konger", "italian", "french", "dutch", "nigerian", "ghanaian", "jamaican", "puerto rican", "polish",
    "swedish", "norwegian", "cambodian", "lao", "hmong", "burmese", "mongolian", "tibetan", "persian", "lebanese",
    "samoan", "native hawaiian",
]  # fmt: skip
LANGUAGES = [
    "english", "tagalog", "japanese", "mandarin", "cantonese", "korean", "vietnamese", "hindi", "spanish", "french",
    "german", "thai", "malay", "indonesian", "urdu", "bengali", "tamil", "punjabi", "dutch", "portuguese",
]  # fmt: skip


def skewed(count: int, power: float = 1.1) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** power
    return weights / weights.sum()


@dataclass(frozen=True)
class Shape:
    """How a generated population is drawn. `skewed` is the original generator (its totals are the ones the
    earlier passes were measured on); the others stress one thing each."""

    name: str
    about: str
    theme_power: float = 0.6  # popularity skew of themes (0: uniform), for both sides
    mentor_theme_power: float | None = None  # mentors' own skew (None: the same as mentees')
    hot_themes: int = 0  # crowded: this share of mentees want only the first `hot_themes` themes
    hot_share: float = 0.0
    mentee_themes: tuple[int, int] = (1, 3)
    power: float = 1.1  # heritage and language skew
    tz_power: float = 0.8
    clustered: tuple[str, ...] = ()  # this share of mentees (and mentors) live in these timezones
    clustered_share: float = 0.0
    clustered_mentors: float = 0.0
    windows: tuple[int, ...] = (3, 4, 6, 8, 12)  # hours: this share of mentees have one of these windows
    windowed_share: float = 0.5
    capacity: tuple[float, ...] | None = None  # P(capacity = 1, 2, ...); None: 1-5 evenly
    random_exclusions: float = 0.5  # per mentee, (mentor, mentee) pairs drawn at random
    wanted_share: float = 0.0  # this share of mentees exclude mentors they would otherwise want
    wanted_per_mentee: int = 0
    weights: Weights = field(default_factory=Weights)


SHAPES = {
    shape.name: shape
    for shape in (
        Shape("skewed", "the original generator: skewed themes, 30 timezones, capacity 1-5"),
        Shape(
            "uniform",
            "every theme, heritage, language and timezone equally likely",
            theme_power=0.0,
            power=0.0,
            tz_power=0.0,
        ),
        Shape(
            "crowded",
            "80 % of mentees want only 3 themes (mentors offer all 12 evenly), 70 % in 3 timezones, capacity "
            "mostly 1, 10 % of mentees exclude 10 mentors they would want",
            hot_themes=3,
            hot_share=0.8,
            mentor_theme_power=0.0,
            clustered=("America/New_York", "Europe/London", "Asia/Manila"),
            clustered_share=0.7,
            capacity=(0.8, 0.15, 0.05),
            wanted_share=0.1,
            wanted_per_mentee=10,
        ),
        Shape(
            "clustered",
            "70 % of mentees and 40 % of mentors in 3 timezones 8 h apart, 80 % of mentees with a 2-4 h window",
            clustered=("America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo"),
            clustered_share=0.7,
            clustered_mentors=0.4,
            windows=(2, 3, 4),
            windowed_share=0.8,
        ),
        Shape(
            "exclusions",
            "every mentee excludes 10 mentors they would want and 10 at random (a long-running community)",
            random_exclusions=10.0,
            wanted_share=1.0,
            wanted_per_mentee=10,
        ),
        Shape(
            "ties",
            "weights theme 80 / language 20 (no heritage or timezone points), mentees want 1-2 themes: "
            "a handful of distinct scores, huge ties",
            mentee_themes=(1, 2),
            weights=Weights(theme=80, heritage=0, language=20, timezone=0),
        ),
    )
}


def population(
    mentees: int, mentors: int, seed: int = 7, shape: Shape = SHAPES["skewed"]
) -> tuple[list, list, list[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    themes = [theme.key for theme in default_themes()]
    p_theme, p_her = skewed(len(themes), shape.theme_power), skewed(len(HERITAGES), shape.power)
    p_tz = skewed(len(TIMEZONES), shape.tz_power)
    p_lang = skewed(len(LANGUAGES) - 1, shape.power)
    mentor_power = shape.theme_power if shape.mentor_theme_power is None else shape.mentor_theme_power
    p_mentor_theme = skewed(len(themes), mentor_power)
    hot = themes[: shape.hot_themes]

    def pick(pool: list[str], p: np.ndarray, low: int, high: int) -> frozenset[str]:
        k = int(rng.integers(low, high + 1))
        return frozenset(pool[i] for i in rng.choice(len(pool), size=k, replace=False, p=p)) if k else frozenset()

    def languages() -> frozenset[str]:
        tags = pick(LANGUAGES[1:], p_lang, 0, 2)
        return tags | {"english"} if rng.random() < 0.85 or not tags else tags

    def timezone(share: float) -> str:
        if shape.clustered and rng.random() < share:
            return shape.clustered[int(rng.integers(len(shape.clustered)))]
        return TIMEZONES[int(rng.choice(len(TIMEZONES), p=p_tz))]

    def wanted() -> frozenset[str]:
        low, high = shape.mentee_themes
        if hot and rng.random() < shape.hot_share:
            return pick(hot, np.full(len(hot), 1 / len(hot)), low, min(high, len(hot)))
        return pick(themes, p_theme, low, high)

    def window() -> int | None:
        if rng.random() < 1 - shape.windowed_share:
            return None
        return int(rng.choice(list(shape.windows)))

    mentee_list = [
        MenteeProfile(
            id=i + 1,
            themes=wanted(),
            heritages=pick(HERITAGES, p_her, 1, 3),
            languages=languages(),
            timezone=timezone(shape.clustered_share),
            heritage_preference="similar" if rng.random() < 0.4 else "any",
            max_timezone_gap_hours=window(),
        )
        for i in range(mentees)
    ]
    p_capacity = None if shape.capacity is None else np.array(shape.capacity) / sum(shape.capacity)

    def capacity() -> int:
        return int(rng.integers(1, 6)) if p_capacity is None else 1 + int(rng.choice(len(p_capacity), p=p_capacity))

    mentor_list = []
    for j in range(mentors):
        offered = pick(themes, p_mentor_theme, 2, 6)
        rest = [t for t in themes if t not in offered]
        not_covered = frozenset(rng.choice(rest, size=int(rng.integers(0, 3)), replace=False).tolist())
        mentor_list.append(
            MentorProfile(
                id=j + 1 if j % 100 == 0 else 1_000_000 + j,  # 1 % are also mentees (self is never paired)
                themes=offered,
                not_covered=not_covered,
                heritages=pick(HERITAGES, p_her, 1, 3),
                languages=languages(),
                timezone=timezone(shape.clustered_mentors),
                capacity=int(rng.integers(1, 6))
                if p_capacity is None
                else 1 + int(rng.choice(len(p_capacity), p=p_capacity)),
            )
        )
    exclusions = [
        (mentor_list[int(rng.integers(mentors))].id, mentee_list[int(rng.integers(mentees))].id)
        for _ in range(int(mentees * shape.random_exclusions))
    ]
    if shape.wanted_per_mentee:  # mentors sharing a covered theme and the timezone, else any sharing a theme
        by_theme: dict[tuple[str, str], list[int]] = {}
        by_theme_any: dict[str, list[int]] = {}
        for mentor in mentor_list:
            for theme in mentor.themes - mentor.not_covered:
                by_theme.setdefault((theme, mentor.timezone), []).append(mentor.id)
                by_theme_any.setdefault(theme, []).append(mentor.id)
        for mentee in mentee_list:
            if rng.random() >= shape.wanted_share:
                continue
            pool = [m for t in sorted(mentee.themes) for m in by_theme.get((t, mentee.timezone), [])]
            if len(pool) < shape.wanted_per_mentee:
                pool += [m for t in sorted(mentee.themes) for m in by_theme_any.get(t, [])]
            if pool:
                chosen = rng.choice(len(pool), size=min(len(pool), shape.wanted_per_mentee), replace=False)
                exclusions += [(pool[int(k)], mentee.id) for k in chosen]
    return mentee_list, mentor_list, exclusions


def _encoded(mentees: list, mentors: list, exclusions: list[tuple[int, int]], weights: Weights):
    mentees = sorted(mentees, key=lambda p: p.id)
    mentors = sorted((p for p in mentors if p.capacity > 0), key=lambda p: p.id)
    offsets = {name: offset_minutes(name, AT) for name in {p.timezone for p in (*mentees, *mentors)}}
    return encode(mentees, mentors, offsets, exclusions, weights)


def greedy(mentees: list, mentors: list, exclusions: list[tuple[int, int]], weights: Weights) -> tuple[int, int]:
    """Greedy by best score first over every eligible pair: (total, pairs). Within one score, pairs are
    taken in rounds (each open mentee proposes to its lowest open mentor column; each mentor keeps its
    lowest mentee rows up to its capacity), not strictly one pair at a time. Light: scores are 0-100,
    so pairs are bucketed by score (int64 keys row * m + col, in row-then-column order within a
    bucket), then one pass from the best bucket down, vectorised per bucket (a mentee's first pair
    in the bucket, then each mentor's first `left` of those)."""
    pop = _encoded(mentees, mentors, exclusions, weights)
    tables = block_scoring.build_tables(pop)
    n, m = pop.n, pop.m
    buckets: list[list[np.ndarray]] = [[] for _ in range(101)]
    for rows in block_scoring.row_blocks(np.arange(n), m, block_scoring.SCAN_CELLS):
        score = block_scoring.block_scores(pop, tables, rows).ravel()
        keys = np.flatnonzero(score >= 0)
        block_scores = score[keys]
        order = np.argsort(block_scores, kind="stable")
        bounds = np.searchsorted(block_scores[order], np.arange(102))
        keys = (keys + rows[0] * m).astype(np.int64)[order]
        for value in np.flatnonzero(np.diff(bounds)):
            buckets[value].append(keys[bounds[value] : bounds[value + 1]])
    left = pop.capacity.astype(np.int64).copy()
    taken = np.zeros(n, dtype=bool)
    total = pairs = 0
    for value in range(100, -1, -1):
        if not buckets[value]:
            continue
        keys = np.concatenate(buckets[value])
        buckets[value] = []
        row, col = keys // m, keys % m
        while keys.size:  # a pair taken can free nothing, but one mentee may be first for two mentors
            open_ = ~taken[row] & (left[col] > 0)
            keys, row, col = keys[open_], row[open_], col[open_]
            if not keys.size:
                break
            first_of_row = np.r_[True, row[1:] != row[:-1]]  # keys are sorted: row-major
            r, c = row[first_of_row], col[first_of_row]
            by_col = np.argsort(c, kind="stable")  # each mentor takes its lowest rows first
            c_sorted = c[by_col]
            start = np.searchsorted(c_sorted, c_sorted, side="left")
            rank = np.arange(c_sorted.size) - start
            win = by_col[rank < left[c_sorted]]
            taken[r[win]] = True
            np.subtract.at(left, c[win], 1)
            total += value * win.size
            pairs += win.size
    return total, pairs


def dense(mentees: list, mentors: list, exclusions: list[tuple[int, int]], weights: Weights) -> tuple[int, int]:
    """Exact best total by scipy's dense `linear_sum_assignment`: one column per mentor slot, cost
    -score, 0 for a forbidden pair (the same as leaving the slot empty): (total, pairs)."""
    from scipy.optimize import linear_sum_assignment

    pop = _encoded(mentees, mentors, exclusions, weights)
    tables = block_scoring.build_tables(pop)
    slot_mentor = np.repeat(np.arange(pop.m), pop.capacity)
    cost = np.zeros((pop.n, slot_mentor.size))
    for rows in block_scoring.row_blocks(np.arange(pop.n), pop.m):
        score = block_scoring.block_scores(pop, tables, rows)[:, slot_mentor]
        cost[rows] = -np.maximum(score, 0)
    eligible = np.zeros(cost.shape, dtype=bool)
    for rows in block_scoring.row_blocks(np.arange(pop.n), pop.m):
        eligible[rows] = block_scoring.block_scores(pop, tables, rows)[:, slot_mentor] >= 0
    rows, cols = linear_sum_assignment(cost)
    keep = eligible[rows, cols]
    return int(-cost[rows[keep], cols[keep]].sum()), int(keep.sum())


def memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(size: str, objective: str, method: str, shape: Shape) -> None:
    mentees, mentors, exclusions = population(*SIZES[size], shape=shape)
    rss_before = memory_kib("VmRSS")
    started, started_cpu = time.perf_counter(), time.process_time()
    report: dict = {"size": size, "method": method, "objective": objective, "shape": shape.name}
    if method == "engine":
        result = match(
            mentees, mentors, at=AT, exclusions=exclusions, objective=Objective(objective), weights=shape.weights
        )
        report.update(result.stats, total_score=result.total_score, pairs=len(result.pairs))
        report["certified"] = result.certified_optimal
    elif method == "stall":
        report.update(asyncio.run(stall(mentees, mentors, exclusions, Objective(objective), shape.weights)))
    else:
        total, pairs = (greedy if method == "greedy" else dense)(mentees, mentors, exclusions, shape.weights)
        report.update(total_score=total, pairs=pairs)
    report.update(
        wall_s=time.perf_counter() - started,
        cpu_s=time.process_time() - started_cpu,
        mentees=len(mentees),
        mentors=len(mentors),
        slots=sum(p.capacity for p in mentors),
        exclusions=len(exclusions),
        rss_before_mib=rss_before / 1024,
        peak_rss_mib=memory_kib("VmHWM") / 1024,
    )
    print(json.dumps(report))


PROBE_SLEEP = 0.005  # the probe coroutine's nap: a gap much longer than this is the loop stalled


async def stall(mentees: list, mentors: list, exclusions: list, objective: Objective, weights: Weights) -> dict:
    """The event loop's longest stall while a round runs through `match_off_loop` in a one-worker process
    pool, as a bot would run it: a probe coroutine sleeps PROBE_SLEEP in a loop and records the largest gap
    between wake-ups beyond that nap. The pool is started (and its worker warmed with a tiny round) first."""
    gaps: list[float] = []
    done = asyncio.Event()
    collections: list[float] = []  # the parent's full garbage collections during the round (seconds each)
    collecting = [0.0]

    def timed(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                collecting[0] = time.perf_counter()
            else:
                collections.append(time.perf_counter() - collecting[0])

    async def probe() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(PROBE_SLEEP)
            now = time.perf_counter()
            gaps.append(now - last - PROBE_SLEEP)
            last = now

    with matching_executor() as executor:
        await match_off_loop(executor, mentees[:10], mentors[:5], at=AT, weights=weights)
        task = asyncio.create_task(probe())
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        gc.callbacks.append(timed)
        result = await match_off_loop(
            executor, mentees, mentors, at=AT, exclusions=exclusions, objective=objective, weights=weights
        )
        gc.callbacks.remove(timed)
        round_s = time.perf_counter() - started
        done.set()
        await task
    return {
        "round_wall_s": round_s,
        "max_stall_ms": 1000 * max(gaps),
        "p99_stall_ms": 1000 * float(np.percentile(gaps, 99)),
        "probes": len(gaps),
        "full_collections": len(collections),
        "longest_collection_ms": 1000 * max(collections, default=0.0),
        "total_score": result.total_score,
        "pairs": len(result.pairs),
    }


def seconds(value: float) -> str:
    """Three decimals below a second (the 1k target is 50 ms), two above."""
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def run(size: str, objective: str, method: str, shape: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", size, "--objective", objective, "--method", method, "--shapes", shape],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def processor() -> str:
    """The CPU and numpy's SIMD code paths on it: the engine is bound by numpy's kernels, whose speed differs more
    between CPUs than a Python loop shows (on the AMD EPYC machines numpy's AVX-512 sorts ran 4x slower than its AVX2
    ones; docs/matching.md, "Eleventh pass")."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            name = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        name = ""
    simd = getattr(np, "__config__", None)
    found = getattr(simd, "CONFIG", {}).get("SIMD Extensions", {}).get("found", []) if simd else []
    cpu = name or platform.processor() or platform.machine()
    return f"CPU {cpu}; numpy {np.__version__}, SIMD {' '.join(found) or '?'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1k,10k,50k", help="comma-separated, from: " + ", ".join(SIZES))
    parser.add_argument("--shapes", default="skewed", help="comma-separated, or 'all', from: " + ", ".join(SHAPES))
    parser.add_argument("--objective", default="best_total", choices=[o.value for o in Objective])
    parser.add_argument(
        "--baselines", action="store_true", help="also greedy by best score and the dense exact solver (not at 50k)"
    )
    parser.add_argument("--stall", action="store_true", help="also the event loop's longest stall during the round")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--method", default="engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    shapes = list(SHAPES) if args.shapes == "all" else args.shapes.split(",")
    if args.child:
        child(args.child, args.objective, args.method, SHAPES[shapes[0]])
        return
    load = os.getloadavg()[0]
    print(
        f"matching benchmark, {os.cpu_count()} cores (load average {load:.1f} at start), "
        f"objective {args.objective}, round time {AT.isoformat()}\n{processor()}"
    )
    rows = []
    for shape in shapes:
        print(f"\nshape {shape}: {SHAPES[shape].about}")
        for size in args.sizes.split(","):
            r = run(size, args.objective, "engine", shape)
            print(
                f"  {size}: {r['mentees']:,} mentees x {r['mentors']:,} mentors ({r['slots']:,} slots, "
                f"{r['exclusions']:,} exclusions): {seconds(r['wall_s'])} s wall, {seconds(r['cpu_s'])} s CPU "
                f"(candidates {seconds(r['candidates_cpu_s'])} s, solve {seconds(r['solve_cpu_s'])} s, "
                f"certification {seconds(r['certify_cpu_s'])} s; {r['rounds']:.0f} round(s), "
                f"{r['phases']:.0f} phases, {r['candidate_edges']:,.0f} candidate edges, "
                f"{r['edges_added']:,.0f} added), certified optimal: {r['certified']}",
                flush=True,
            )
            rows.append((shape, size, "engine", r))
            if args.baselines and args.objective == Objective.BEST_TOTAL and size != "50k":
                rows.append((shape, size, "greedy by best score", run(size, args.objective, "greedy", shape)))
                rows.append((shape, size, "dense linear_sum_assignment", run(size, args.objective, "dense", shape)))
            if args.stall:
                s = run(size, args.objective, "stall", shape)
                print(
                    f"  {size} through match_off_loop: round {seconds(s['round_wall_s'])} s wall, event loop's "
                    f"longest stall {s['max_stall_ms']:.1f} ms (p99 {s['p99_stall_ms']:.1f} ms, "
                    f"{s['probes']:,} probes of {PROBE_SLEEP * 1000:.0f} ms; {s['full_collections']} full garbage "
                    f"collection(s) in the parent, longest {s['longest_collection_ms']:.1f} ms), same total: "
                    f"{s['total_score'] == r['total_score']}",
                    flush=True,
                )
    print("\n| shape | size | method | wall / CPU | peak RSS | rounds | total score | pairs |")
    print("|---|---|---|---|---|---|---|---|")
    best = {(shape, size): r["total_score"] for shape, size, method, r in rows if method == "engine"}
    for shape, size, method, r in rows:
        total = best[shape, size]
        gap = "" if r["total_score"] == total else f" ({1 - r['total_score'] / max(total, 1):.2%} below)"
        rounds = f"{r['rounds']:.0f}" if "rounds" in r else ""
        label = "engine (certified exact)" if r.get("certified") else method
        print(
            f"| {shape} | {size} | {label} | {seconds(r['wall_s'])} s / {seconds(r['cpu_s'])} s "
            f"| {r['peak_rss_mib']:.0f} MiB | {rounds} | {r['total_score']:,}{gap} | {r['pairs']:,} |"
        )


if __name__ == "__main__":
    main()
