"""Benchmark of the peer-circle solver (engine/circles) on generated pools (seeded).

    python bench/circles.py                          # 100, 1,000 and 5,000 members
    python bench/circles.py --sizes 100 --limit 1    # one size, a 1 s time limit
    python bench/circles.py --sizes 100 --seeds 11,12,13  # the default pool and two more

Each size runs in a fresh child process (its own peak memory, first-call costs counted). Shapes: members
in timezone clusters (Americas, Europe/Africa, South and East Asia, Oceania) with windows of 2-8 hours
(10 % any), the 12 default themes (1-3 each, a few much more common), 40 heritages with a long tail
(1-3 each), preferred sizes 3-6, blocks between 5 % of members, and past circles over a fifth of them.
Prints wall and CPU time, the points, the bound and the gap, members placed of those placeable, and
the circle sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.circles import CircleInstance, CircleMember, form_circles  # noqa: E402

THEMES = [
    "identity", "confidence", "relationships", "career", "networking", "role-models", "culture", "support",
    "coping", "advocacy", "community", "growth",
]  # fmt: skip
OFFSETS = [  # (UTC offset in hours, share of members)
    (-8, 0.10), (-7, 0.03), (-6, 0.05), (-5, 0.14), (-3, 0.03), (0, 0.08), (1, 0.10), (2, 0.03), (4, 0.02),
    (5.5, 0.05), (7, 0.05), (8, 0.16), (9, 0.06), (10, 0.05), (12, 0.05),
]  # fmt: skip


def skewed(count: int, power: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** power
    return weights / weights.sum()


def pool(size: int, seed: int = 11) -> CircleInstance:
    rng = np.random.default_rng(seed)
    heritages = [f"heritage-{k:02d}" for k in range(40)]
    p_theme, p_heritage = skewed(len(THEMES), 0.9), skewed(len(heritages), 1.2)
    p_offset = np.array([share for _, share in OFFSETS])
    p_offset /= p_offset.sum()
    members = []
    for member_id in range(1, size + 1):
        hours = OFFSETS[int(rng.choice(len(OFFSETS), p=p_offset))][0]
        themes = rng.choice(len(THEMES), size=int(rng.integers(1, 4)), replace=False, p=p_theme)
        tags = rng.choice(len(heritages), size=int(rng.integers(1, 4)), replace=False, p=p_heritage)
        window = None if rng.random() < 0.1 else int(rng.integers(2, 9))
        members.append(
            CircleMember(
                id=member_id,
                themes=frozenset(THEMES[k] for k in themes),
                heritages=frozenset(heritages[k] for k in tags),
                size=int(rng.integers(3, 7)),
                utc_offset_minutes=int(hours * 60),
                window_hours=window,
            )
        )
    blockers = rng.choice(size, size=max(1, size // 20), replace=False) + 1
    blocks = tuple((int(a), int(rng.integers(1, size + 1))) for a in blockers)
    # Past circles: a fifth of the members were in circles of 3-6 before, grouped within offset bands.
    veterans = sorted(
        rng.choice(size, size=size // 5, replace=False).tolist(), key=lambda k: members[k].utc_offset_minutes
    )
    past, start = [], 0
    while start + 3 <= len(veterans):
        width = int(rng.integers(3, 7))
        past.append(frozenset(members[k].id for k in veterans[start : start + width]))
        start += width
    return CircleInstance(members=tuple(members), blocks=blocks, past_circles=tuple(past), seed=seed)


def run_one(size: int, limit: float, seed: int) -> dict[str, object]:
    instance = pool(size, seed)
    result = form_circles(instance, time_limit_s=limit)
    sizes = np.bincount([len(circle.members) for circle in result.circles], minlength=7)[3:]
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    return {
        "size": size,
        "seed": seed,
        "wall": result.stats["total_s"],
        "cpu": result.stats["total_cpu_s"],
        "points": result.points,
        "bound": result.bound,
        "gap": 100 * result.gap,
        "placed": result.placed,
        "placed_bound": result.placed_bound,
        "circles": len(result.circles),
        "sizes": " / ".join(str(int(count)) for count in sizes),
        "optimal": result.proven_optimal,
        "peak_mib": peak / 1024,
        **{
            key: value
            for key, value in result.stats.items()
            if key.endswith("_s") or key in ("neighbourhoods", "lp_rounds", "circles_enumerated")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--limit", type=float, default=None, help="time limit (s); default 1 at 100, else 8")
    parser.add_argument("--seeds", default="11", help="pool seeds, comma-separated (11: the default pool)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_one(args.child, args.limit, int(args.seeds))))
        return
    rows: list[dict] = []
    for size in (int(part) for part in args.sizes.split(",")):
        for seed in (int(part) for part in args.seeds.split(",")):
            limit = args.limit if args.limit is not None else (1.0 if size <= 100 else 8.0)
            command = [sys.executable, __file__, "--child", str(size), "--limit", str(limit), "--seeds", str(seed)]
            output = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            row["limit"] = limit
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print(
        "| members | seed | limit | wall / CPU | peak RSS | points | bound | gap | placed / placeable "
        "| circles (3/4/5/6) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        proof = " (optimal)" if row["optimal"] else ""
        print(
            f"| {row['size']:,} | {row['seed']} | {row['limit']:g} s | {row['wall']:.2f} s / {row['cpu']:.2f} s | "
            f"{row['peak_mib']:.0f} MiB | {row['points']:,} | {row['bound']:,} | {row['gap']:.2f} %{proof} | "
            f"{row['placed']:,} / {row['placed_bound']:,} | {row['circles']:,} ({row['sizes']}) |"
        )


if __name__ == "__main__":
    main()
