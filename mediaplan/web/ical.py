"""Tokenised iCal subscriptions (`/ical/TOKEN.ics`): a calendar app polls one URL per scope."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from mediaplan.calendar.ical import build_feed, scope_of
from mediaplan.i18n import _
from mediaplan.web.deps import SessionDep
from mediaplan.web.security import public
from mediaplan.web.errors import Token

router = APIRouter()


@router.get("/ical/{token}.ics", dependencies=[public()])
def ical_feed(token: Token, session: SessionDep, due: bool = False):
    scope = scope_of(session, token)
    if scope is None:
        raise HTTPException(404, _("Đường dẫn đăng ký không còn hiệu lực (mã đã được tạo lại?)"))
    cal = build_feed(session, scope[0], scope[1], include_due=due)
    return Response(cal.to_ical(), media_type="text/calendar; charset=utf-8")
