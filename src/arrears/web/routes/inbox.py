"""The AR inbox: the received mail of my customers, of everyone's, and (managers and owners) the
unmatched mail to assign; one message opened (which marks it read), its attachments downloaded, and
what is done from it: mark it unread again, reply (threaded, sent at once through the outbox), a
task on its customer, assign it to a customer. services/mail_inbox.py decides who may do what."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.responses import HTMLResponse, Response

from ...domain.errors import InvalidValue
from ...domain.permissions import Action, allowed
from ...domain.users import User
from ...services import mail_inbox
from ...services.customer_record import TASK_TYPES
from ..pages import BadForm, Form, Web, WebRoute, WebState, WebUser, list_link, local_path, parse_day, redirect, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

ReceivedId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
AttachmentId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
VIEWS = {"mine": "My customers", "all": "All customers", "unmatched": "Unmatched"}
KINDS = {"reply": "Reply", "auto_reply": "Auto-reply", "bounce": "Bounce"}
MATCHED_BY = {
    "token": "by the reply address of an email we sent",
    "in_reply_to": "by the email of ours it answers (In-Reply-To)",
    "references": "by the emails of ours it refers to (References)",
    "bounced": "by the copy of our email that the delivery report carries",
    "from_address": "by its sender's address, which is on the customer's record",
    "assigned": "assigned by hand",
    "unmatched": "not matched to a customer yet",
}
TICKED = ("on", "1", "true")
# What a reply form may say it is: the form's own key (the email's dedupe key, as sending.KEY reads it).
KEY_LENGTH = 32


def message_path(received_id: int, section: str = "") -> str:
    return f"/inbox/{received_id}" + (f"#{section}" if section else "")


def size_text(size: int) -> str:
    """ "812 bytes", "14 KB", "2.3 MB"."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@router.get("/inbox")
def inbox_list(
    request: Request,
    user: WebUser,
    web: WebState,
    view: Annotated[str, Query(pattern="^(mine|all|unmatched)$")] = "mine",
    unread: Annotated[str, Query(max_length=4, pattern="^(|1|on|true)$")] = "",
    offset: Annotated[int, Query(ge=0, le=mail_inbox.MAX_PAGE_OFFSET)] = 0,
) -> Response:
    """The received mail, newest first, 50 to a page (`offset` is where the page starts)."""
    found = mail_inbox.inbox(
        web.arrears.uow(), user, mail_inbox.parse_view(view), unread_only=bool(unread), offset=offset
    )
    params = {"view": view if view != "mine" else "", "unread": "1" if unread else ""}
    link = list_link("/inbox", params)
    previous = max(offset - mail_inbox.PAGE_SIZE, 0) if offset else None
    return render(
        request,
        "inbox.html",
        user=user,
        inbox=found,
        rows=found.page.items,
        view=view,
        unread=bool(unread),
        link=link,
        views=VIEWS if found.may_assign else {k: v for k, v in VIEWS.items() if k != "unmatched"},
        kinds=KINDS,
        previous=previous,
        next_offset=found.page.next_offset,
        page=offset // mail_inbox.PAGE_SIZE + 1,
        back=link(offset=offset or None),
    )


@router.get("/inbox/{received_id}")
def message_page(request: Request, received_id: ReceivedId, user: WebUser, web: WebState) -> Response:
    return render_message(request, received_id, user, web)


def render_message(
    request: Request, received_id: int, user: User, web: Web, *, problem: tuple[str, str, dict[str, str]] | None = None
) -> HTMLResponse:
    """The message, marked read as it is opened; with `problem` (which form, why, what was typed),
    answered 400 with the refused form's reason beside it and its text kept."""
    if problem is None:
        message = mail_inbox.open_message(web.arrears.uow(), user, received_id)
    else:  # a refused form changes nothing, not even whether the message was read
        message = mail_inbox.message(web.arrears.uow(), user, received_id)
    on_record = mail_inbox.sender_on_record(web.arrears.uow(), user, received_id)
    assert web.arrears.clock is not None
    which, reason, typed = problem or ("", "", {})
    return render(
        request,
        "inbox_message.html",
        400 if problem else 200,
        user=user,
        m=message,
        kinds=KINDS,
        matched_by=MATCHED_BY.get(message.matched_by, message.matched_by.replace("_", " ")),
        size_text=size_text,
        inline_types=mail_inbox.INLINE_TYPES,
        on_record=on_record,
        may_assign=mail_inbox.may_see_unmatched(user),
        may_act=allowed(user, Action.CREATE_TASK),
        task_types=TASK_TYPES,
        today=web.arrears.clock.today(),
        key=typed.get("key") or uuid.uuid4().hex,
        problem=which,
        reason=reason,
        typed=typed,
        record=f"/customers/{quote(message.customer_external_id, safe='')}" if message.customer_external_id else None,
    )


@router.post("/inbox/{received_id}/read")
def mark_read(request: Request, received_id: ReceivedId, user: WebUser, web: WebState, form: Form) -> Response:
    mail_inbox.mark(web.arrears.uow(), user, received_id, read=True)
    request.state.session.flash("Marked read.")
    return redirect(local_path(form.get("back"), "/inbox"))


@router.post("/inbox/{received_id}/unread")
def mark_unread(request: Request, received_id: ReceivedId, user: WebUser, web: WebState, form: Form) -> Response:
    """Unread again, for later: back to the list (opening the message would mark it read)."""
    row = mail_inbox.mark(web.arrears.uow(), user, received_id, read=False)
    request.state.session.flash(f"“{row.subject or '(no subject)'}” marked unread.")
    return redirect(local_path(form.get("back"), "/inbox"))


@router.get("/inbox/{received_id}/attachments/{attachment_id}")
def attachment(received_id: ReceivedId, attachment_id: AttachmentId, user: WebUser, web: WebState) -> Response:
    """The file as it came: shown in the browser only when its type is one that runs nothing
    (INLINE_TYPES: images, PDF, plain text; never HTML or SVG), else downloaded; never sniffed."""
    info, data = mail_inbox.attachment(web.arrears.uow(), user, received_id, attachment_id)
    content_type = info.content_type.lower().split(";")[0].strip()
    inline = content_type in mail_inbox.INLINE_TYPES
    served_type = content_type if inline else "application/octet-stream"
    if served_type == "text/plain":
        served_type = "text/plain; charset=utf-8"
    return Response(
        data,
        media_type=served_type,
        headers={
            "content-disposition": disposition("inline" if inline else "attachment", info.filename),
            "x-content-type-options": "nosniff",
        },
    )


def disposition(kind: str, filename: str) -> str:
    """`attachment; filename="plain.txt"; filename*=UTF-8''…`: an ASCII name with no quote, backslash,
    control character or path for old browsers, the real name (RFC 5987) for the others."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    ascii_name = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\;' else "_" for ch in name)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.post("/inbox/{received_id}/reply")
def reply(request: Request, received_id: ReceivedId, user: WebUser, web: WebState, form: Form) -> Response:
    """Answer the sender from Arrears, threaded; back to the message, saying how it went."""
    text, key = form.get("text", ""), form.get("key", "")
    if len(key) != KEY_LENGTH or not (key.isascii() and key.isalnum()):
        raise BadForm("the form has lost its key: reload the page and write the reply again")
    try:
        sent = mail_inbox.reply(web.arrears.uow, user, web.arrears.own_mailer(), received_id, text, key)
    except InvalidValue as error:
        return render_message(request, received_id, user, web, problem=("reply", error.message, form))
    to, subject = ", ".join(sent.queued.to), sent.queued.subject
    request.state.session.flash(
        {
            "sent": f"Reply sent to {to}: {subject}.",
            "retry": f"Reply to {to} queued: the mail server did not take it yet, it will be tried again.",
            "failed": f"Reply to {to} could not be sent: its error is in the customer's emails.",
            "queued": f"Reply to {to} queued: {subject}.",
            "": "This reply was sent already: it was not queued again.",
        }[sent.delivery]
    )
    return redirect(message_path(received_id))


@router.post("/inbox/{received_id}/task")
def task(request: Request, received_id: ReceivedId, user: WebUser, web: WebState, form: Form) -> Response:
    """A task on the message's customer, quoting what the sender wrote."""
    due = parse_day(form.get("due_date"), "task's due date")
    try:
        row = mail_inbox.task_from(
            web.arrears.uow(),
            user,
            received_id,
            form.get("type", "").strip() or "call",
            due.isoformat() if due else None,
        )
    except InvalidValue as error:
        return render_message(request, received_id, user, web, problem=("task", error.message, form))
    request.state.session.flash(
        f"{row.type.replace('_', ' ').capitalize()} task created for {row.customer_name}, "
        f"due {row.due_date.isoformat()} for {row.assignee or 'nobody'}."
    )
    return redirect(message_path(received_id))


@router.post("/inbox/{received_id}/assign")
def assign(request: Request, received_id: ReceivedId, user: WebUser, web: WebState, form: Form) -> Response:
    """Put the message on a customer (managers and owners), adding its sender as a contact if asked."""
    external_id = form.get("customer", "").strip()
    if not external_id:
        raise BadForm("give the customer id of the customer the email is for")
    add_contact = form.get("add_contact", "") in TICKED
    assigned = mail_inbox.assign(web.arrears.uow(), user, received_id, external_id, add_contact=add_contact)
    row = assigned.message
    added = ""
    if add_contact:
        added = (
            f" {row.from_address} is one of its contacts now (receiving no reminders until ticked)."
            if assigned.contact_added
            else f" {row.from_address} is on its record already: no contact added."
        )
    request.state.session.flash(f"Email assigned to {row.customer_name} ({row.customer_external_id}).{added}")
    return redirect(message_path(received_id))
