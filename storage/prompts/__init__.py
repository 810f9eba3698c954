"""Queries on the prompt bank, suggestions, schedules and claimed slots. They take a session; they never open one.

By concern:
- `bank`: the guild's prompt bank (seeding, adding, paging, searching, a random prompt).
- `suggestions`: members' suggestions and a moderator's decision.
- `schedules`: prompt schedules, which are due, pausing one.
- `slots`: claiming a schedule's slot exactly once, with a prompt not yet used in its cycle.
- `leases`: posting a claim: leases (`LEASE`), its details, what became of the post and its thread.
- `privacy`: a member's export and erasure.

Callers use the package (`from storage import prompts as queries`); the names below are its interface.
"""

from storage.prompts.bank import (
    add_prompt,
    bank_seeded,
    count_prompts,
    delete_prompt,
    ensure_bank,
    find_duplicate,
    get_prompt,
    prompt_page,
    random_prompt,
    search_prompts,
)
from storage.prompts.leases import (
    LEASE,
    claim_details,
    lease_claim_batch,
    lease_claims,
    lease_threads,
    mark_posted,
    record_thread,
    release_claim,
    renew_lease,
    waiting_claims,
)
from storage.prompts.leases import (
    _lease_free as _lease_free,  # bench/due.py builds its backlog query with it
)
from storage.prompts.privacy import delete_member, export_member
from storage.prompts.schedules import (
    add_schedule,
    count_schedules,
    due_schedules,
    get_schedule,
    guild_schedules,
    guild_timezones,
    pause_schedule,
)
from storage.prompts.slots import choose_prompt, claim_slot, claim_slots, skip_superseded
from storage.prompts.suggestions import add_suggestion, decide_suggestion, pending_suggestions, suggestion_checks

__all__ = [
    "LEASE",
    "add_prompt",
    "add_schedule",
    "add_suggestion",
    "bank_seeded",
    "choose_prompt",
    "claim_details",
    "claim_slot",
    "claim_slots",
    "count_prompts",
    "count_schedules",
    "decide_suggestion",
    "delete_member",
    "delete_prompt",
    "due_schedules",
    "ensure_bank",
    "export_member",
    "find_duplicate",
    "get_prompt",
    "get_schedule",
    "guild_schedules",
    "guild_timezones",
    "lease_claim_batch",
    "lease_claims",
    "lease_threads",
    "mark_posted",
    "pause_schedule",
    "pending_suggestions",
    "prompt_page",
    "random_prompt",
    "record_thread",
    "release_claim",
    "renew_lease",
    "search_prompts",
    "skip_superseded",
    "suggestion_checks",
    "waiting_claims",
]
