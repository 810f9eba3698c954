"""Queries on peer circles. They take a session; they never open one.

Nothing is lost or doubled, as in mentor pairing's storage (storage.mentorship):
- a round creates its circles and owes each invitee an invitation (`delivery` "due") in one transaction;
  each DM is leased (`lease_invites`, LEASE) and settled (sent / held / gone / failed). A dead process's
  lease runs out and the next run takes it over, with the same nonce.
- answers are conditional updates on `status = invited` while the circle is still proposed; the decision
  is one conditional update of the circle (`proposed` → formed / unformed) that also owes what follows
  (`notice`: open the thread, or tell the yes-sayers kindly), leased and settled the same way.
- a check-in: `claim_due_checkins` moves the circle on (one winner) and owes each member a DM row, leased
  and settled like an invitation.
- a scheduled round: leased (`claim_due_rounds`, ROUND_LEASE) and moved on by `complete_round` after it ran;
  a dead process's round is run again after the lease, and members already invited are not in its pool.
Blocks are read from mentor pairing's confidential blocks (both ways), and its kept block protections.
Answers and the decision after each are not lost when two arrive at once: answers to one circle take turns.

By concern: `profiles` (opt-ins and a round's pool), `invites` (circles, invitations, answers, the decision
and its notice), `rounds` (scheduled rounds and the members a round left out), `checkins`, `members` (a
member's circles, withdrawing), `privacy` (kept protections, export, erasure), `stats` (the funnel), and
`_common` (what they share: the lease, the backoff, a conditional update).

Callers use the package (`from storage import circles as store`); the names below are its interface.
"""

from storage.circles._common import PairKey
from storage.circles.checkins import (
    checkin_days,
    claim_due_checkins,
    lease_checkins,
    rate_checkin,
    retry_checkin,
    settle_checkin,
    start_checkins,
)
from storage.circles.invites import (
    MIN_YES,
    Proposed,
    answer,
    create_circles,
    decide,
    forms,
    get_circle,
    get_invite,
    invites_of,
    lapse_due,
    lease_invites,
    lease_notices,
    retry_invite,
    retry_notice,
    settle_invite,
    settle_notice,
)
from storage.circles.members import Withdrawal, end_if_small, mine, remaining, withdraw
from storage.circles.privacy import delete_member, export_member, keep_protections
from storage.circles.profiles import Pool, delete_profile, get_profile, round_pool, save_profile
from storage.circles.rounds import (
    ROUND_LEASE,
    claim_due_rounds,
    complete_round,
    drop_schedule,
    get_left_out,
    get_schedule,
    lease_left_outs,
    owe_left_out,
    retry_left_out,
    set_schedule,
    settle_left_out,
)
from storage.circles.stats import LASTED_DAYS, funnel, funnel_stages
from storage.owed import LEASE, MAX_ATTEMPTS

__all__ = [
    "LASTED_DAYS",
    "LEASE",
    "MAX_ATTEMPTS",
    "MIN_YES",
    "ROUND_LEASE",
    "PairKey",
    "Pool",
    "Proposed",
    "Withdrawal",
    "answer",
    "checkin_days",
    "claim_due_checkins",
    "claim_due_rounds",
    "complete_round",
    "create_circles",
    "decide",
    "delete_member",
    "delete_profile",
    "drop_schedule",
    "end_if_small",
    "export_member",
    "forms",
    "funnel",
    "funnel_stages",
    "get_circle",
    "get_invite",
    "get_left_out",
    "get_profile",
    "get_schedule",
    "invites_of",
    "keep_protections",
    "lapse_due",
    "lease_checkins",
    "lease_invites",
    "lease_left_outs",
    "lease_notices",
    "mine",
    "owe_left_out",
    "rate_checkin",
    "remaining",
    "retry_checkin",
    "retry_invite",
    "retry_left_out",
    "retry_notice",
    "round_pool",
    "save_profile",
    "set_schedule",
    "settle_checkin",
    "settle_invite",
    "settle_left_out",
    "settle_notice",
    "start_checkins",
    "withdraw",
]
