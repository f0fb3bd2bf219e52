"""The review web application (FastAPI): one page listing every violation, a JSON endpoint storing decisions.

Routes:

* ``GET /`` — the review page (server-rendered, Jinja2 autoescape; its script only posts decisions and sets text);
* ``GET /files/<path>`` — the output folder, read-only (evidence images, clip excerpts, reports);
* ``GET /api/violations`` — every violation id with its latest decision;
* ``POST /api/violations/<violation id>/review`` — JSON ``{"status": "confirmed"|"rejected", "reviewer": str,
  "plate_text_reviewed": str, "note": str}``; stores the decision, rebuilds the reports, returns it with the history
  (each decision with ``shown_at``: its time as the page shows it, in the recording's time zone and the page's
  language); a refusal's ``detail`` is one line in the page's language.

Meant for one analyst on their own machine: bound to 127.0.0.1 by default, requests for any other host name refused
(``TrustedHostMiddleware``, against DNS rebinding), and a decision from a page of another origin refused (``Origin``
checked).
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware

from helmetscan import __version__
from helmetscan.core.errors import ResultsError
from helmetscan.core.messages import message_text
from helmetscan.results.database import ResultsDB
from helmetscan.results.report import in_recording_zone, rebuild, template_environment, translations
from helmetscan.results.reviews import (
    MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_PLATE_CHARS, ReviewStatus, clean_note, clean_plate_text, clean_reviewer,
)

#: Host names the page answers to besides the one it is bound to.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class Decision(BaseModel):
    """The body of a decision (lengths bounded here; the strings are cleaned by :mod:`helmetscan.results.reviews`)."""

    status: Literal["confirmed", "rejected"]
    reviewer: str = Field(max_length=4 * MAX_NAME_CHARS)
    plate_text_reviewed: str = Field("", max_length=4 * MAX_PLATE_CHARS)
    note: str = Field("", max_length=4 * MAX_NOTE_CHARS)


def create_app(out: Path, reviewer: str = "", host: str = "127.0.0.1", lang: str = "en"):
    """The review application for one output folder.

    Args:
        out: the output folder of ``helmetscan analyze`` (with its ``helmetscan.db``).
        reviewer: the name the page proposes for decisions (the analyst may change it there).
        host: the address the server is bound to (accepted as a host name besides :data:`LOCAL_HOSTS`).
        lang: the language of the page, and of the reports rebuilt after each decision: ``ko`` or ``en``.

    Raises:
        ResultsError: ``out`` has no results database, or it is not one.
    """
    out = out.resolve()
    ResultsDB(out, create=False, migrate=True).close()  # fails early on a non-results folder; adds the reviews table
    templates = template_environment("helmetscan.review", lang)
    trans = translations(lang)  # the refusals' details, shown on the page as they are
    _ = trans.gettext

    app = FastAPI(title="helmetscan review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=sorted({*LOCAL_HOSTS, host}))
    app.mount("/files", StaticFiles(directory=out), name="files")

    def database() -> closing[ResultsDB]:  # one connection per request, closed when the block ends
        return closing(ResultsDB(out, create=False, migrate=True))

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        with database() as db:
            videos, records = db.load()
            history = db.review_histories()
        reviews = {violation_id: decisions[-1] for violation_id, decisions in history.items()}
        pending = [r for r in records if r.violation_id not in reviews]
        return templates.get_template("review.html.j2").render(
            records=pending + [r for r in records if r.violation_id in reviews], reviews=reviews, history=history,
            reviewer=reviewer, out=str(out), version=__version__, videos=len(videos),
            limits={"plate": MAX_PLATE_CHARS, "name": MAX_NAME_CHARS, "note": MAX_NOTE_CHARS})

    @app.get("/api/violations")
    def violations() -> list[dict]:
        with database() as db:
            _, records = db.load()
            reviews = db.reviews()
        return [{"violation_id": r.violation_id, "plate_text": r.plate.text,
                 "review": reviews[r.violation_id].model_dump(mode="json") if r.violation_id in reviews else None}
                for r in records]

    @app.post("/api/violations/{violation_id}/review")
    def decide(violation_id: str, decision: Decision, request: Request) -> dict:
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host')}":
            raise HTTPException(403, _("decisions are taken from this page only, not from %(origin)s")
                                % {"origin": origin})
        try:
            name, plate = clean_reviewer(decision.reviewer), clean_plate_text(decision.plate_text_reviewed)
            note = clean_note(decision.note)
        except ResultsError as exc:
            raise HTTPException(422, message_text(str(exc), trans)) from None
        with database() as db:
            try:
                review = db.add_review(violation_id, ReviewStatus(decision.status), name, plate, note)
                history = db.review_history(violation_id)
            except ResultsError as exc:
                raise HTTPException(404, message_text(str(exc), trans)) from None
            record = next(r for r in db.load()[1] if r.violation_id == violation_id)
        rebuild(out, __version__, lang=lang)  # violations.csv, report.html and the sheets show the decision
        when = templates.filters["when"]  # the pages' formatter: the same time text as after a reload
        return {"review": review.model_dump(mode="json"),
                "history": [{**h.model_dump(mode="json"), "shown_at": when(in_recording_zone(h.reviewed_at, record))}
                            for h in history]}

    return app


def serve(out: Path, host: str, port: int, reviewer: str, on_ready=None, lang: str = "en") -> None:
    """Serve the review page until interrupted (uvicorn). The results folder is opened and the address bound before
    anything is served, so either fault comes first and alone; ``on_ready(port)`` is called once both are done (the
    port actually bound: the one asked for, or the one chosen for 0).

    Raises:
        ResultsError: ``out`` is not a results folder, or its database is damaged.
        OSError: the address is taken or cannot be bound.
    """
    import socket

    import uvicorn

    app = create_app(out, reviewer, host, lang)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    if on_ready is not None:
        on_ready(sock.getsockname()[1])
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
