"""Queries on mentor pairing, one module per concern. They take a session; they never open one.

State changes are conditional updates (`WHERE status = …`) whose row count says whether this caller
won; a mentor's places are taken with one guarded statement (`active_count < capacity`), so two
mentees accepting at the same moment can't exceed it on SQLite or PostgreSQL.

Claims of due work, and what a process that dies between the claim and the message leaves behind:
- a check-in: `claim_due_checkins` moves the pairing on and writes one row per member, `delivery` "due";
  each DM is then leased (`lease_checkins`, LEASE) and settled (sent / held / gone / failed). A dead
  process's lease runs out and the next run takes it over, once. At least once: a DM sent just before a
  crash, not yet recorded, is sent again with the same nonce, which Discord drops within a few minutes.
- a proposal's expiry: one conditional update sets it expired *and* owes its lapse notice (`notice`);
  the notice is leased and settled like a check-in (an edit, so repeating it is harmless).
- a scheduled round: leased (`claim_due_rounds`, ROUND_LEASE); `complete_round` moves the schedule on in
  the transaction that creates its proposals (each owing its invitation, `notice`). A dead process's
  round is run by the next one after the lease, exactly once; a slow one whose lease was taken over
  rolls back instead of creating the proposals twice.
- a pause ending (`resume_due`): one update, no message.
- owed notes (a reminder before an invitation lapses, a pause after two lapses, an unmatched explanation,
  the did-you-meet nudge): `followups`, owed once by a unique key, leased like a check-in.
Not due work, so not covered here: the mentee's invitation after the mentor says yes, `/pairing create`'s
invitation and the pair thread are sent right after their commit (a crash in between loses the message:
the proposal lapses kindly after its days, the thread's absence is in the mod-log only if Discord refused).

The modules: `profiles` (offers, requests, pauses), `blocks` (blocks, protections kept after an erasure,
a round's exclusions), `proposals` (invitations and their answers), `notices` (a proposal's owed message),
`places` (a mentor's capacity), `pairing` (pairings and check-ins), `rounds` (a round's pool, scheduled
rounds), `stats`, `followups` (owed notes, goals, the longer funnel), and `_common` (what they share: the
lease and backoff, the conditional update, who has left). This package re-exports the queries callers use,
so `from storage import mentorship as store; store.get_mentor(...)` reads the same as before the split;
`followups` is imported as its own module.
"""

from __future__ import annotations

from storage.mentorship._common import Pairing, PairKey, Proposal
from storage.mentorship.blocks import (
    add_block,
    check_key_fingerprint,
    delete_owned_protections,
    exclusions,
    is_blocked,
    is_protected,
    keep_protections,
    owned_protections,
    protected_pairs,
)
from storage.mentorship.notices import NOTICE_BATCH, lease_notices, retry_notice, settle_notice
from storage.mentorship.pairing import (
    CLAIM_BATCH,
    LEASE_BATCH,
    claim_due_checkins,
    end_pairing,
    ended_with_feedback,
    get_pairing,
    lease_checkins,
    pairings,
    rate_checkin,
    retry_checkin,
    set_thread,
    settle_checkin,
)
from storage.mentorship.places import cancel_beyond_capacity, places_left, room_to_accept
from storage.mentorship.profiles import (
    delete_profiles,
    get_mentee,
    get_mentor,
    resume_due,
    save_mentee,
    save_mentor,
    set_paused,
)
from storage.mentorship.proposals import (
    EXPIRE_BATCH,
    ROUND_INSERT_BATCH,
    NewProposal,
    awaiting_answer,
    cancel_between,
    cancel_pending_for,
    cancel_proposal,
    create_proposal,
    create_round_proposals,
    decline,
    expire_due,
    get_proposal,
    mentee_accepts,
    mentor_accepts,
    pending_proposals,
    record_message,
)
from storage.mentorship.rounds import (
    ROUND_LEASE,
    Pool,
    RoundClaim,
    claim_due_rounds,
    complete_round,
    drop_schedule,
    next_round,
    release_round,
    round_pool,
    set_schedule,
)
from storage.mentorship.stats import funnel, weekly_counts
from storage.owed import LEASE, MAX_ATTEMPTS

__all__ = [
    "CLAIM_BATCH",
    "EXPIRE_BATCH",
    "LEASE",
    "LEASE_BATCH",
    "MAX_ATTEMPTS",
    "NOTICE_BATCH",
    "ROUND_INSERT_BATCH",
    "ROUND_LEASE",
    "NewProposal",
    "PairKey",
    "Pairing",
    "Pool",
    "Proposal",
    "RoundClaim",
    "add_block",
    "awaiting_answer",
    "cancel_between",
    "cancel_beyond_capacity",
    "cancel_pending_for",
    "cancel_proposal",
    "check_key_fingerprint",
    "claim_due_checkins",
    "claim_due_rounds",
    "complete_round",
    "create_proposal",
    "create_round_proposals",
    "decline",
    "delete_owned_protections",
    "delete_profiles",
    "drop_schedule",
    "end_pairing",
    "ended_with_feedback",
    "exclusions",
    "expire_due",
    "funnel",
    "get_mentee",
    "get_mentor",
    "get_pairing",
    "get_proposal",
    "is_blocked",
    "is_protected",
    "keep_protections",
    "lease_checkins",
    "lease_notices",
    "mentee_accepts",
    "mentor_accepts",
    "next_round",
    "owned_protections",
    "pairings",
    "pending_proposals",
    "places_left",
    "protected_pairs",
    "rate_checkin",
    "record_message",
    "release_round",
    "resume_due",
    "retry_checkin",
    "retry_notice",
    "room_to_accept",
    "round_pool",
    "save_mentee",
    "save_mentor",
    "set_paused",
    "set_schedule",
    "set_thread",
    "settle_checkin",
    "settle_notice",
    "weekly_counts",
]
