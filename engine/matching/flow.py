"""The primal-dual min-cost flow solver of the b-matching, warm-started from one pricing round to the
next: `network` builds it, `add_edges` appends edges, `settle` (OR-tools max flow on the arcs of reduced
cost 0, then a dual step on the minimum cut) repairs it, and `solution` reads the matching and the LP duals
off its flow and node potentials."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow

SOURCE, SINK = 0, 1  # node ids; mentee row i is node 2 + i, mentor column j is node 2 + n + j
TATONNEMENT_ROUNDS = 10  # price adjustments before the first solve (see `_starting_prices`)
PHASE_LIMIT = 100_000  # primal-dual phases before giving up (each one lowers some potentials by at least 1)
SCALES = (4,)  # cost scaling when settling is slow (see `settle_adaptive`)
QUICK_PHASES = 16  # phases before `settle_adaptive` switches to cost scaling
WAR_RATIO = 1.25  # mentees wanting a place per place above which the first settle scales at once (`price_war`)
FLOOD_RATIO = 0.5  # excess per place, after a pricing round's edges, above which a later settle scales at once
COARSE_SCALE = 4  # a price war's first rounds settle and price with every cost divided by this (`coarsen`)
IDLE_PER_PLACE, IDLE_EXTRA = 2, 4  # idle mentees' tight arcs a max flow keeps per mentor place, and more (`settle`)
IDLE_FROM = 200_000  # ... in max flows of at least this many arcs of reduced cost 0
IDLE_SHARE = 0.1  # ... until a phase where they are fewer than this share of those arcs (then not looked for again)
COARSE_LEAVE = 0.02  # share of the places a price war's later coarse settles may leave unsettled (`coarse_leave`)
REFINE_STEP = 4  # `refine` goes back to exact costs through scales divided by this (e.g. 16 -> 4 -> 1)


@dataclass(slots=True)
class Network:
    """The b-matching as a min-cost flow, with a flow and node potentials that are kept from one pricing
    round to the next (a warm start: only the region the new edges disturb has to move).

    Arcs: source -> mentee (capacity 1), mentor -> sink (capacity c_j), source -> sink (capacity n: the
    mentees left unmatched), then one mentee -> mentor arc per graph edge (capacity 1, cost -w_ij), in the
    order the edges were added. The reduced cost of an arc is cost + potential[tail] - potential[head];
    `excess` is each node's inflow minus outflow (plus its supply), zero everywhere once settled."""

    n: int
    m: int
    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    flows: np.ndarray
    potential: np.ndarray
    excess: np.ndarray
    scale: int = 1
    exact: np.ndarray | None = None  # the exact costs while scale > 1

    @property
    def fixed(self) -> int:
        """Arcs before the first edge arc."""
        return self.n + self.m + 1

    def reduced_costs(self) -> np.ndarray:
        return self.costs + self.potential.take(self.tails) - self.potential.take(self.heads)


def network(n: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> Network:
    """The network of the graph's edges (sorted by mentee) with the empty matching (everyone through
    source -> sink) and potentials from starting prices (`_starting_prices`), every arc made optimal
    (`_saturate`)."""
    m = capacity.size
    mentee_node = 2 + np.arange(n, dtype=np.int64)
    mentor_node = 2 + n + np.arange(m, dtype=np.int64)
    tails = np.concatenate([np.full(n, SOURCE), mentor_node, [SOURCE], mentee_node[rows]]).astype(np.int64)
    heads = np.concatenate([mentee_node, np.full(m, SINK), [SINK], mentor_node[cols]]).astype(np.int64)
    caps = np.concatenate([np.ones(n, np.int64), capacity.astype(np.int64), [n], np.ones(rows.size, np.int64)])
    costs = np.concatenate([np.zeros(n + m + 1, np.int64), -weights])
    flows = np.zeros(tails.size, np.int64)
    flows[n + m] = n
    price = _starting_prices(capacity, rows, cols, weights)
    best = np.zeros(n, np.int64)
    np.maximum.at(best, rows, weights - price[cols])
    potential = np.concatenate([[0, 0], best, -price]).astype(np.int64)
    net = Network(n, m, tails, heads, caps, costs, flows, potential, np.zeros(potential.size, np.int64))
    _saturate(net, np.arange(tails.size))
    return net


def _starting_prices(capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each mentor's price guess, from the graph's edges (sorted by mentee). First the weight of its c_j-th
    best edge (0 with fewer edges than places): in the optimum a full mentor's price is about the weight of
    the last mentee it takes. Then a few rounds of tatonnement: every mentee asks for its best mentor at those
    prices, and each price moves one point towards where that demand meets capacity. The closer the start,
    the fewer primal-dual phases: from 0, 45 phases at 10k x 2k (40 at 50k x 10k); from the c_j-th best,
    11 (12); after the rounds, 8 at 10k and 9 instead of 18 at 1k x 200 (12 still at 50k, a little faster)."""
    m = capacity.size
    top = int(weights.max(initial=0))
    keys = np.sort(cols * (top + 1) + (top - weights))  # by mentor, best edge first (one int64 key, weights >= 0;
    first = np.searchsorted(keys, np.arange(m) * (top + 1))  # sorting the keys, not argsort and gathers: 49 -> 16 ms)
    count = np.bincount(cols, minlength=m)
    full = count >= capacity
    price = np.zeros(m, np.int64)
    price[full] = top - keys[first[full] + capacity[full] - 1] % (top + 1)
    if rows.size == 0:
        return price
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    lengths = np.diff(np.r_[starts, rows.size])
    for _ in range(TATONNEMENT_ROUNDS):
        value = weights - price[cols]
        wants = np.flatnonzero((value == np.repeat(np.maximum.reduceat(value, starts), lengths)) & (value > 0))
        if wants.size:
            wants = wants[np.r_[True, rows[wants][1:] != rows[wants][:-1]]]  # each mentee's first best mentor
        demand = np.bincount(cols[wants], minlength=m)
        price += (demand > capacity).astype(np.int64) - ((demand < capacity) & (price > 0))
    return price


def add_edges(net: Network, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> None:
    """Append graph edges (no flow yet) and make them optimal: a new edge with a negative reduced cost is
    saturated, which leaves an excess at its mentor and a deficit at its mentee for `settle` to repair."""
    start = net.tails.size
    net.tails = np.concatenate([net.tails, 2 + rows.astype(np.int64)])
    net.heads = np.concatenate([net.heads, 2 + net.n + cols.astype(np.int64)])
    net.caps = np.concatenate([net.caps, np.ones(rows.size, np.int64)])
    costs = -weights.astype(np.int64)
    if net.exact is not None:
        net.exact = np.concatenate([net.exact, costs])
    net.costs = np.concatenate([net.costs, costs // net.scale])
    net.flows = np.concatenate([net.flows, np.zeros(rows.size, np.int64)])
    _saturate(net, np.arange(start, net.tails.size))


def _saturate(net: Network, arcs: np.ndarray) -> None:
    """Push each of `arcs` to the bound its reduced cost asks for (full below 0, empty above 0), keeping
    the excesses up to date, so that every residual arc has a reduced cost >= 0."""
    reduced = net.costs[arcs] + net.potential[net.tails[arcs]] - net.potential[net.heads[arcs]]
    flows = net.flows[arcs]
    push = np.where(reduced < 0, net.caps[arcs] - flows, 0) - np.where(reduced > 0, flows, 0)
    moved = np.flatnonzero(push)
    arcs, push = arcs[moved], push[moved]
    net.flows[arcs] += push
    np.subtract.at(net.excess, net.tails[arcs], push)
    np.add.at(net.excess, net.heads[arcs], push)


def settle_adaptive(net: Network, war: bool = False) -> int:
    """`settle`, switching to cost scaling when it is slow (a price war). Primal-dual phases move potentials by
    the smallest reduced cost leaving the cut, often 1 point, so a market where prices must climb far (the
    crowded shape: 149 phases at 10k x 2k, 244 at 50k x 10k, ~50 ms each there) needs about as many phases as
    points. After QUICK_PHASES, for each factor of SCALES the network with every cost divided by the factor
    (and the potentials too) is settled, where the climb takes ~1/factor of the phases; then the exact costs
    and the potentials times the factor come back, every arc is made optimal again (`_saturate`) and the rest
    is repaired. Any state `settle` leaves is a valid start (every residual arc has reduced cost >= 0 after
    `_saturate`), so the result is the same optimum. Returns the number of phases.

    Measured at 10k x 2k crowded: 149 phases -> 106 (SCALES (4,)); (8,), (16, 4) and (8, 2) took 143-159, and
    scaling every settle from the start (not only slow ones) 123: it spoils the warm start of later rounds.
    With `war` (see `price_war`), the quick phases are skipped: they are spent anyway."""
    phases = 0 if war else settle(net, QUICK_PHASES)
    if not net.excess.any():
        return phases
    exact = net.costs
    for factor in SCALES:
        net.costs = exact // factor
        net.potential //= factor
        _saturate(net, np.arange(net.tails.size))
        phases += settle(net)
        net.costs = exact
        net.potential *= factor
        _saturate(net, np.arange(net.tails.size))
    return phases + settle(net, leave=coarse_leave(net))


def coarse_leave(net: Network) -> int:
    """How many units of excess a settle of a price war's coarse rounds may leave, after the first round: COARSE_LEAVE
    of the places (0 in exact units).

    Why: a settle ends in a tail of phases that each move a few units while costing a max flow over the whole
    network (crowded 50k's first settle: 32,984, 5,625, 358, 152, 86 … 7, 380, 63, 75 units over 16 phases). Coarse
    rounds only need approximate duals to price with, and the units left go on into the next settle (any state with
    every residual arc's reduced cost >= 0 is a valid start; exact settles still finish, so certification is
    unchanged). Crowded 50k, seeds 7 / 8 / 9 / 10 of the generator: 76 / 79 / 80 / 76 phases -> 62 / 74 / 70 / 70,
    the same totals, certified; whole round, alternated in one process (two runs each): 5.55 / 4.95 -> 4.36 / 4.44,
    5.05 / 4.79 -> 4.89 / 4.78, 5.23 / 4.70 -> 4.57 / 4.26, 4.81 / 4.68 -> 4.60 / 4.84 s. The first round's settle
    finishes: stopping it early too left duals that made the next pricing find and rank many more pairs (0.11 ->
    0.54 s) and cost more than the phases saved. Crowded 10k: 29 / 45 -> 27 / 44 phases (seeds 7 / 8); tie-heavy (also a
    war) 6 phases either way; the other shapes never settle in coarse units."""
    if net.scale == 1:
        return 0
    return int(COARSE_LEAVE * int(net.caps[net.n : net.n + net.m].sum()))


def coarsen(net: Network, factor: int | None = None) -> None:
    """Divide every cost (and the potentials) by `factor`, rounded down, and make every arc optimal again: the
    network then settles in fewer phases, and its potentials times `factor` are approximate duals, good enough
    to price with (`solution`) and find the edges the exact optimum will need.

    Why: in a price war (the crowded shape) each pricing round joins under-priced mentors to mentees they were
    missing, and prices then climb again, one point a phase (crowded 50k: 123 phases over 8 rounds; with the
    19k pairs the optimum needs present from the start, 22). In coarse units a climb is shorter, so the rounds
    that find those pairs are cheaper; `refine` then goes back to the exact costs. Measured at 50k / 10k
    crowded (phases in all): factor 4, 77 / 32; 8, 72 / 36; 16 (refined 16 -> 4 -> 1) 69 / 41; without, 123 /
    39. Tie-heavy (also a war): 6 / 8 phases with 4, as without; 10 / 15 with 16."""
    factor = factor or COARSE_SCALE
    net.exact = net.costs
    net.scale = factor
    net.costs = net.exact // factor
    net.potential //= factor
    _saturate(net, np.arange(net.tails.size))


def refine(net: Network) -> int:
    """Back from `coarsen` to the exact costs, settling at each scale on the way (16 -> 4 -> 1 by REFINE_STEP):
    the potentials are multiplied up, every arc whose reduced cost went negative is saturated and the rest
    repaired. Returns the number of phases (from 16 at crowded 50k: 11 + 12, against 35 from 16 to 1 at once)."""
    phases = 0
    while net.scale > 1 and net.exact is not None:
        finer = max(1, net.scale // REFINE_STEP)
        net.potential *= net.scale // finer
        net.scale = finer
        net.costs = net.exact // finer
        _saturate(net, np.arange(net.tails.size))
        phases += settle(net)
    net.exact = None
    return phases


def price_war(net: Network) -> bool:
    """Whether the network as built (`network`) starts a price war: mentees that want a place at the starting
    prices (an excess at their node) outnumber the places by more than WAR_RATIO. Then settling takes more
    than QUICK_PHASES for sure and the first settle scales at once. Measured (mentees wanting / places): 0.86-1.12
    for every shape but two at 10k and 50k, settled in 8-13 phases; tie-heavy 1.43 (13 -> 8 phases when
    scaled at once); crowded 1.69 at 10k (51 -> 39 phases over the rounds) and 2.09 at 50k (150 -> 136)."""
    wanting = int(net.excess[2 : 2 + net.n].clip(0).sum())
    return wanting > WAR_RATIO * int(net.caps[net.n : net.n + net.m].sum())


def flooded(net: Network) -> bool:
    """Whether the edges a pricing round just added (`add_edges`) left more excess than FLOOD_RATIO x the places:
    a second price war, the mentors those edges join being far under-priced, so the settle that follows scales
    at once like a first one in a war. Measured (excess / places after a round's edges): crowded 50k 1.13 after
    round 1 (55 -> 42 phases in that settle, 136 -> 123 in all), then 0.28; crowded 10k 0.24, clustered 10k and
    50k <= 0.36, every later round < 0.07. A threshold of 0.2 also scaled crowded 50k's round 3 (110 phases in all)
    but made crowded 10k 39 -> 42 and clustered 50k 36 -> 41: scaling a small disturbance spoils the warm start.
    In a war's coarse rounds (`coarsen`) too: crowded 50k's first coarse pricing leaves 0.91 (the later ones <= 0.23),
    and scaling that settle takes it from 26 to 22 phases (81 -> 77 in all; two other seeds 84 -> 77 and 84 -> 76,
    engine CPU lower in 6 of 6 pairs); crowded 10k's 0.31 and tie-heavy's rounds stay as they were."""
    return int(net.excess.clip(0).sum()) > FLOOD_RATIO * int(net.caps[net.n : net.n + net.m].sum())


def settle(net: Network, limit: int = 0, leave: int = 0) -> int:
    """Route every excess to a deficit at least cost (primal-dual: successive shortest paths, many at once),
    keeping every residual arc's reduced cost >= 0. Each phase sends a maximum flow from the excesses to the
    deficits over the arcs of reduced cost 0 (OR-tools max flow); whatever cannot get through stays on the
    source side of its minimum cut, whose potentials then drop by the smallest reduced cost leaving it, so at
    least one more arc gets reduced cost 0. Returns the number of phases.

    Why not OR-tools' min-cost flow: it has no warm start (a re-solve after adding a few edges, even given as
    a residual problem with reduced costs, cost as much as the first solve: 2.5-3.3 s at 50k), while here a
    pricing round that adds a few hundred edges takes a few phases. With `limit`, stops after that many phases
    (excesses may be left); with `leave`, once at most that many units of excess are left (`coarse_leave`).

    An idle mentee (unmatched, no excess) is entered only by its source arc, so its tight arcs matter only for
    flow through the source, and a mentor can take in at most its places and the mentees it holds in one max
    flow. So each max flow leaves out an idle mentee's tight arc unless it is one of about IDLE_PER_PLACE x c_j +
    IDLE_EXTRA such arcs of its mentor (a hash of the arc chooses): crowded 50k, 22 % of the arcs handed to
    OR-tools over the 76 phases (7.0M of 32M; tie-heavy 7 %, the other shapes under 4 %). The nodes the source
    reaches in the residual graph are the same for every maximum flow, so when no left-out arc leaves the cut
    found on the rest, the flow is maximal on every arc and the cut and dual step are exactly what a max flow on
    every arc gives; otherwise (once at crowded 10k and 50k) the phase is repeated on every arc from that flow,
    before any dual step. An idle mentee none of whose tight arcs is kept is a dead end, so its source arc is left
    out too and the mentee put on the source's side of the cut with the source (crowded 50k: ~27k of ~290k arcs a
    phase, solve CPU -0.1 s, paired; the same phases). The same totals and certificates; the flow may be another
    among equal ones, so later phases may differ (at 50k: the same phase counts on every shape, plus crowded's one
    repeat). Paired solve CPU at crowded 50k (76 phases), four alternations: median 4.61 -> 3.95 s, lower in 4 of 4.
    Only from IDLE_FROM arcs: at crowded 10k (~100k) the repeat cost more than the arcs saved (0.21 -> 0.235 s).
    Once a phase finds fewer than IDLE_SHARE of its tight arcs to leave out, the rest of the settle stops looking
    (finding them costs ~3 ms a phase at 50k, more than ~3 % fewer arcs save OR-tools): clustered 50k solve CPU,
    four alternations, 3.24 / 2.81 / 2.96 / 2.83 -> 3.07 / 2.42 / 2.91 / 2.62 s, the same 41 phases."""
    nodes = net.potential.size
    top, bottom = nodes, nodes + 1
    tails, heads = net.tails.astype(np.int32), net.heads.astype(np.int32)
    reduced = net.reduced_costs()  # kept up to date below: only arcs crossing the cut change
    full, idle_pays = False, True
    for phase in range(limit or PHASE_LIMIT):
        supply = np.flatnonzero(net.excess > 0).astype(np.int32)  # int32 node ids, as `tails` and `heads`: OR-tools
        if supply.size == 0:  # loads int32 arrays without a conversion (int64 ones: 16 against 7 ms a phase at 50k)
            return phase
        if leave and int(net.excess.take(supply).sum()) <= leave:
            return phase
        demand = np.flatnonzero(net.excess < 0).astype(np.int32)
        zero = np.flatnonzero(reduced == 0)  # (gathers by `take`: 2x faster than indexing for these sizes)
        flows = net.flows.take(zero)
        spare = net.caps.take(zero) - flows
        ahead, back = spare > 0, flows > 0
        forward, backward = zero[ahead], zero[back]  # residual arcs of reduced cost 0, each way
        spare_ahead, left_out, dead_ends = spare[ahead], None, None
        if idle_pays and not full and forward.size >= IDLE_FROM:  # most idle mentees' tight arcs left out (docstring)
            drop, dead = _idle_arcs(net, forward, tails, heads)
            idle_pays = drop.size >= IDLE_SHARE * forward.size
            if idle_pays:
                keep = np.ones(forward.size, dtype=bool)
                keep[drop] = False
                keep[dead] = False
                left_out, dead_ends = forward[drop], forward[dead] + 2  # (source arc i leads to mentee node 2 + i)
                forward, spare_ahead = forward[keep], spare_ahead[keep]
        full = False
        capacities = np.concatenate([spare_ahead, flows[back], net.excess[supply], -net.excess[demand]])
        del zero, flows, spare, ahead, back  # (memory: OR-tools holds ~28 MB for 420k arcs while it solves)
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(
            np.concatenate([tails.take(forward), heads.take(backward), np.full(supply.size, top, np.int32), demand]),
            np.concatenate([heads.take(forward), tails.take(backward), supply, np.full(demand.size, bottom, np.int32)]),
            capacities,
        )
        del capacities
        status = solver.solve(top, bottom)
        if status != solver.OPTIMAL:
            raise RuntimeError(f"max flow returned status {status}")
        a, b, c = forward.size, backward.size, supply.size
        sent = np.asarray(solver.flows(np.arange(a + b + c + demand.size, dtype=np.int32)), dtype=np.int64)
        pushed = np.flatnonzero(sent[:a])  # usually a small share of the arcs: update only those (an arc with
        pulled = np.flatnonzero(sent[a : a + b])  # 0 < flow < capacity is in both lists, hence two updates)
        net.flows[forward[pushed]] += sent[pushed]
        net.flows[backward[pulled]] -= sent[a + pulled]
        net.excess[supply] -= sent[a + b : a + b + c]
        net.excess[demand] += sent[a + b + c :]
        if not net.excess.any():
            return phase + 1
        if phase + 1 == limit:
            return limit
        del sent, pushed, pulled
        side = np.zeros(nodes + 2, dtype=bool)
        side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
        if dead_ends is not None:  # their source arcs, left out, lead nowhere else: on the source's side with it
            side[dead_ends] = side[SOURCE]
        del solver  # freed before the dual step's arrays and the next phase's, not when the next one replaces it
        if left_out is not None and (side.take(net.tails.take(left_out)) > side.take(net.heads.take(left_out))).any():
            full = True  # a left-out arc leaves the cut: the flow is not maximal on every arc, so no dual step yet
            continue
        _dual_step(net, side[:nodes], reduced)
    raise RuntimeError(f"min-cost flow did not settle in {PHASE_LIMIT} phases")


def _idle_arcs(
    net: Network, forward: np.ndarray, tails: np.ndarray, heads: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `forward` (residual arcs of reduced cost 0) of the idle mentees' edge arcs a max flow can
    leave out (see `settle`): all but about IDLE_PER_PLACE x c_j + IDLE_EXTRA per mentor, by a hash of the arc;
    then of the source arcs of the idle mentees none of whose edge arcs is kept. Such a source arc is a dead end
    in that max flow (an idle mentee has no other residual arc), so leaving it out changes neither the flow's value
    nor the cut, once its mentee is put on the source's side with the source: ~27k of a crowded 50k phase's ~290k
    arcs."""
    n = net.n
    idle = (net.flows[:n] == 0) & (net.excess[2 : 2 + n] == 0)  # source arc unused, no excess
    edges = np.flatnonzero(forward >= net.fixed)
    edges = edges[idle.take(tails.take(forward.take(edges)) - 2)]
    arcs = forward.take(edges)
    mentor = heads.take(arcs) - (2 + n)
    count = np.bincount(mentor, minlength=net.m)
    kept = IDLE_PER_PLACE * net.caps[n : n + net.m] + IDLE_EXTRA
    hashed = (arcs * 2654435761) & 0xFFFFFFFF
    leave = hashed % count.take(mentor) >= kept.take(mentor)
    served = np.zeros(n, dtype=bool)
    served[tails.take(arcs[~leave]) - 2] = True
    sources = forward[: np.searchsorted(forward, n)]  # source -> mentee i is arc i (`forward` is ascending)
    dead = np.flatnonzero(idle.take(sources) & ~served.take(sources))
    return edges[leave], dead


def _dual_step(net: Network, side: np.ndarray, reduced: np.ndarray) -> None:
    """Lower the potentials of the cut's source `side` by the smallest reduced cost of a residual arc leaving it,
    keeping `reduced` up to date (only the arcs crossing the cut change). A function of its own so that its
    arrays (as long as the cut, up to every arc) are freed before the next phase's max flow."""
    tail_side = side.take(net.tails)  # (the int64 ids: `take` would copy int32 ones to int64 first, +6 MB at 50k)
    arcs = np.flatnonzero(tail_side != side.take(net.heads))  # arcs with exactly one end on the source side
    out = tail_side.take(arcs)  # leaving forward (tail inside) or backward (head inside)
    flows, caps, costs = net.flows.take(arcs), net.caps.take(arcs), reduced.take(arcs)
    leaving = np.concatenate([costs[out & (flows < caps)], -costs[~out & (flows > 0)]])
    if leaving.size == 0:
        raise RuntimeError("min-cost flow is infeasible")  # cannot happen: the empty matching is feasible
    step = int(leaving.min())
    net.potential[side] -= step
    reduced[arcs] += np.where(out, -step, step)  # cost + potential[tail] - potential[head]


@dataclass(slots=True)
class Solution:
    matched: np.ndarray  # (E,) bool over the graph's edges
    u: np.ndarray  # (n,) int64 dual of each mentee
    v: np.ndarray  # (m,) int64 dual of each mentor
    dual_ok: bool  # the primal and dual objectives are equal


def solution(net: Network, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> Solution:
    """The matching of a settled network and LP duals read off its potentials. Mentor duals come from the
    potentials; each mentee's dual is then the best it can get given them, so every graph edge is
    dual-feasible by construction. Complementary slackness makes the objectives equal when the flow is
    optimal; we check that equality in integers rather than trust it."""
    n = net.n
    matched = net.flows[net.fixed :] > 0
    v = np.maximum(0, net.potential[SINK] - net.potential[2 + n :]) * net.scale
    u = np.zeros(n, dtype=np.int64)
    np.maximum.at(u, rows, weights - v[cols])
    primal = int(weights[matched].sum())
    dual = int(u.sum()) + int((capacity.astype(np.int64) * v).sum())
    optimal = net.scale == 1 and not net.excess.any() and primal == dual
    return Solution(matched, u, v, optimal)
