"""The worklist and the site policy."""

from typing import Annotated, Any

from fastapi import Body, Query, Request

from tracker.rules.vocabulary import Action, FlagCode, codes
from tracker.schemas.common import Day
from tracker.schemas.evaluation import Worklist
from tracker.schemas.policy import POLICY_CHANGE_SCHEMA, PolicyChanged, PolicyRead
from tracker.services import policy as policy_service
from tracker.services import worklist as worklist_service
from tracker.web.deps import ApiAdmin, ApiUser, DbSession, Today, actor
from tracker.web.routing import Router

router = Router(prefix="/api/v1", tags=["worklist"])

# The codes the service takes (any other is a 422 naming the parameter), declared.
FLAGS = {"enum": list(codes(FlagCode))}
ACTIONS = {"enum": list(codes(Action))}


@router.get("/worklist", response_model=Worklist)
def worklist(
    db: DbSession,
    user: ApiUser,
    today: Today,
    on: Annotated[Day | None, Query()] = None,
    flag: Annotated[str | None, Query(max_length=40, json_schema_extra=FLAGS)] = None,
    action: Annotated[str | None, Query(max_length=40, json_schema_extra=ACTIONS)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
):
    """Patients with something to do on day `on`, most urgent first."""
    total, items = worklist_service.worklist(
        db, on=on or today, flag=flag, action=action, query=q, limit=limit, offset=offset
    )
    return {"total": total, "items": items}


@router.get("/policy", response_model=PolicyRead)
def read_policy(db: DbSession, user: ApiUser) -> dict[str, Any]:
    """The site policy in force."""
    return policy_service.load_policy(db).to_dict()


@router.put("/policy", response_model=PolicyChanged)
def update_policy(
    request: Request,
    db: DbSession,
    user: ApiAdmin,
    # Checked by the rules, which name the key refused; declared from the same ranges.
    body: Annotated[dict[str, Any], Body(json_schema_extra=POLICY_CHANGE_SCHEMA)],
) -> dict[str, Any]:
    """Change policy values (validated as a whole); every patient's re-evaluation is queued.

    A cap above the label's 2.4 g/kg per 28 days needs a `reason` in the same body.
    """
    changes = dict(body)
    reason = changes.pop("reason", None)
    change = policy_service.update_policy(
        db, actor=actor(request, user), changes=changes, reason=reason
    )
    return {
        **change.policy.to_dict(),
        "max_intensity_reason": change.max_intensity_reason,
        "re_evaluation": change.re_evaluation,
    }
