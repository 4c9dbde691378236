"""Bearer tokens for the JSON API (OAuth2 password flow)."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from tracker.services import staff
from tracker.services.login_throttle import LoginThrottled
from tracker.web.deps import DbSession, client_ip
from tracker.web.openapi_answers import also_answers
from tracker.web.routing import Router

router = Router(prefix="/api/v1/auth", tags=["auth"])


class TokenAnswer(BaseModel):
    """A bearer token."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/token", response_model=TokenAnswer, responses=also_answers(401, 429))
def issue_token(
    request: Request, db: DbSession, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenAnswer:
    """Exchange a username and password for a bearer token."""
    try:
        user = staff.authenticate(
            db, username=form.username, password=form.password, ip_address=client_ip(request)
        )
    except LoginThrottled as exc:
        db.commit()  # keep the audit entry of the refused try
        raise HTTPException(
            status_code=429,
            detail=exc.message,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        ) from None
    if user is None:
        # The failed attempt must be kept even though the answer is an error.
        db.commit()
        raise HTTPException(
            status_code=401,
            detail="Unknown username or wrong password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    hours = request.app.state.settings.api_token_hours
    token, _ = staff.issue_api_token(db, user=user, hours=hours)
    return TokenAnswer(access_token=token, expires_in=hours * 3600)
