"""The composition root: the only module that names concrete adapters. Nothing is built at import."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from .adapters import logs
from .adapters.clock import SystemClock
from .adapters.db import backup
from .adapters.db.backup import Copied
from .adapters.db.engine import (
    PROBE_TIMEOUT,
    current_revision,
    ensure_schema,
    head_revision,
    make_engine,
    probe_engine,
    upgrade,
)
from .adapters.db.uow import SqlUnitOfWork
from .adapters.passwords import Argon2Hasher
from .config import Settings
from .domain.disputes import parse_reasons
from .domain.errors import ArrearsError, InvalidValue
from .domain.workflows import Workflow
from .domain.worklist import parse_rates
from .services import email_templates, workflows
from .services import settings as stored_settings
from .services.call_ports import AudioProbe, AudioStore, Recording, Transcriber
from .services.calls import CallSettings
from .services.credit import CreditPolicy
from .services.cycle import Mailer
from .services.ledger_ports import InboxEvent
from .services.mail_ports import Mailbox
from .services.outbox import PortalLinks
from .services.portal_ports import PaymentGateway
from .services.ports import Clock, ImportProgress, UnitOfWork

if TYPE_CHECKING:
    from .adapters.email import FileTransport, SmtpTransport
    from .adapters.rendering import Templates
    from .services import inbox

log = logging.getLogger("arrears.calls")

DEFAULT_WORKFLOWS = Path(__file__).parent / "adapters" / "default_workflows.toml"
# Seconds `/readyz` waits for the database before it answers 503: the probe's own timeouts, plus a
# margin for a host name that resolves to two addresses (libpq tries each for PROBE_TIMEOUT).
READINESS_DEADLINE = 2 * PROBE_TIMEOUT
log = logging.getLogger("arrears.serve")


@dataclass(frozen=True, slots=True)
class Readiness:
    """`/readyz`'s answer: ready or not, the schema revision found, and why not."""

    ready: bool
    schema: str | None
    reason: str | None


@dataclass
class Arrears:
    """Everything the entry points need, built from settings."""

    settings: Settings
    clock: Clock | None = None
    # The company name, time zone, locale and sender in force: the environment's until
    # refresh_workspace() reads what an owner stored.
    workspace: stored_settings.WorkspaceSettings = field(init=False)
    # ARREARS_DISPUTE_REASONS, checked once (a bad code stops the process at start); None when unset.
    dispute_reasons: tuple[str, ...] | None = field(init=False)
    # ARREARS_PRIORITY_RATES in millionths per currency, checked once; {} when unset.
    priority_rates: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        if self.clock is None:
            self.clock = SystemClock(self.settings.timezone)
        self.workspace = self.workspace_defaults()
        given = (self.settings.dispute_reasons or "").strip()
        self.dispute_reasons = parse_reasons(given) if given else None
        try:
            self.priority_rates = parse_rates(self.settings.priority_rates)
        except InvalidValue as error:
            raise InvalidValue(f"ARREARS_PRIORITY_RATES: {error.message}") from None

    def workspace_defaults(self) -> stored_settings.WorkspaceSettings:
        """The environment's company name, time zone, locale and sender: what applies until an owner
        stores their own on the settings page."""
        s = self.settings
        return stored_settings.WorkspaceSettings(s.company_name, s.timezone, s.locale, s.email_from)

    def refresh_workspace(self) -> stored_settings.WorkspaceSettings:
        """Read the workspace settings stored by an owner (over the environment's) and apply them to
        this process: the clock's time zone, the email templates' company and locale, the sender of
        `mailer()`. Run at start (`ready()`), before each cycle and send of the worker, every minute
        by `arrears serve`, before the web's cycle preview and after the settings page saves, so a
        change applies to the next email rendered in every process. Not inside an open unit of work
        (it opens its own)."""
        current = stored_settings.workspace(self.uow(), self.workspace_defaults())
        self.workspace = current
        if isinstance(self.clock, SystemClock):
            self.clock.timezone = current.timezone
        if "templates" in self.__dict__:  # built already: else it is built with these values
            self.templates.use_workspace(current.company_name, current.locale)
        return current

    def is_locale(self, name: str) -> bool:
        """Whether the email templates can write amounts and dates in locale `name` (Babel knows it)."""
        from .adapters.locales import is_locale  # Babel loads when it is needed

        return is_locale(name)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def import_progress(self) -> ImportProgress:
        """Where the web's running imports say how far they have read: the database on PostgreSQL
        (every server process sees it), this process's memory on SQLite (no second writer there)."""
        from .adapters.db.import_progress import MemoryImportProgress, SqlImportProgress

        if self.engine.dialect.name == "postgresql":
            assert self.clock is not None
            return SqlImportProgress(self.engine, self.clock)
        return MemoryImportProgress()

    @cached_property
    def probe_engine(self) -> Engine:
        """The readiness check's own engine: it gives up within seconds (adapters/db/engine.py)."""
        return probe_engine(self.settings.database_url)

    @cached_property
    def hasher(self) -> Argon2Hasher:
        return Argon2Hasher()

    def uow(self) -> SqlUnitOfWork:
        assert self.clock is not None
        return SqlUnitOfWork(
            self.engine, self.clock, dispute_reasons=self.dispute_reasons, priority_rates=self.priority_rates
        )

    @cached_property
    def templates(self) -> Templates:
        from .adapters.rendering import Templates  # Jinja2 and Babel load when an email is made

        return Templates(
            self.settings.templates_dir,
            company=self.workspace.company_name,
            locale=self.workspace.locale,
            bank_details=self.settings.bank_details,
        )

    @cached_property
    def sender(self) -> SmtpTransport | FileTransport:
        from .adapters.email import transport_from_url  # smtplib and ssl load when an email is sent

        return transport_from_url(self.settings.email_url)

    def mailer(self) -> Mailer:
        return Mailer(
            self.templates, self.sender, self.workspace.email_from, self.portal_links(), self.settings.reply_to
        )

    def own_mailer(self) -> Mailer:
        """A mailer with a transport of its own: for an email sent from a page while other requests
        send theirs (`sender` keeps one SMTP connection, which two threads cannot share)."""
        from .adapters.email import transport_from_url

        return Mailer(
            self.templates,
            transport_from_url(self.settings.email_url),
            self.workspace.email_from,
            self.portal_links(),
            self.settings.reply_to,
        )

    def portal_links(self) -> PortalLinks:
        """Where the emails' links to the customer portal point (ARREARS_BASE_URL) and how many days
        they last (ARREARS_PORTAL_LINK_DAYS)."""
        return PortalLinks(self.settings.base_url, self.settings.portal_link_days)

    def inbox_handlers(self) -> dict[str, inbox.Handler]:
        """What applies the events of each provider received in the inbox (an event of a provider
        without a handler is retried, then marked failed). Stripe's events date payments in the
        workspace's time zone in force when they are applied."""
        from .services import online_payments

        def stripe(uow: UnitOfWork, event: InboxEvent) -> None:
            online_payments.apply_stripe_event(uow, event, timezone=self.workspace.timezone)

        return {"stripe": stripe}

    def payment_gateway(self) -> PaymentGateway | None:
        """Stripe Checkout when ARREARS_STRIPE_SECRET_KEY is set (at ARREARS_STRIPE_API_BASE when
        that is); None: the portal offers no online payment."""
        if not self.settings.stripe_secret_key:
            return None
        if "_gateway" not in self.__dict__:  # one client (and its connection pool) per process
            from .adapters.stripe_gateway import StripeGateway  # the SDK loads when a payment starts

            self.__dict__["_gateway"] = StripeGateway(self.settings.stripe_secret_key, self.settings.stripe_api_base)
        gateway: PaymentGateway = self.__dict__["_gateway"]
        return gateway

    def verify_stripe_event(self, payload: bytes, signature_header: str) -> dict[str, Any]:
        """The Stripe event of a webhook's body, once its signature is checked against
        ARREARS_STRIPE_WEBHOOK_SECRET (InvalidValue when it is missing, forged or stale)."""
        from .adapters.stripe_gateway import verify_event

        return verify_event(payload, signature_header, self.settings.stripe_webhook_secret)

    def credit_policy(self) -> CreditPolicy:
        """ARREARS_CREDIT_SCORE_ALERT_BELOW, ARREARS_CREDIT_REVIEW_DAYS and ARREARS_CREDIT_LIMIT_ALERTS."""
        s = self.settings
        return CreditPolicy.parse(s.credit_score_alert_below, s.credit_review_days, s.credit_limit_alerts)

    # -- calls: recordings and their transcription -------------------------------------------------

    def calls_dir(self) -> Path:
        """ARREARS_CALLS_DIR; else `recordings` beside the SQLite database file, else in the working
        directory."""
        if self.settings.calls_dir is not None:
            return self.settings.calls_dir
        url = make_url(self.settings.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).resolve().parent / "recordings"
        return Path("recordings").resolve()

    def audio_store(self) -> AudioStore:
        from .adapters.audio import FileAudioStore

        return FileAudioStore(self.calls_dir())

    def audio_probe(self) -> AudioProbe:
        from .adapters.audio import AudioProbe

        return AudioProbe()

    def call_settings(self) -> CallSettings:
        s = self.settings
        if s.calls_max_mb < 1:
            raise ArrearsError("ARREARS_CALLS_MAX_MB must be 1 or more")
        if s.calls_retention_days < 0:
            raise ArrearsError("ARREARS_CALLS_RETENTION_DAYS must be 0 (keep the audio) or more")
        return CallSettings(max_bytes=s.calls_max_mb * 1_000_000, retention_days=s.calls_retention_days)

    @cached_property
    def transcriber(self) -> Transcriber:
        """The speech model of ARREARS_SPEECH_MODEL (default: the bundled English one), loaded on the
        first transcription and kept for the process."""
        from .adapters.speech import WhisperTranscriber

        return WhisperTranscriber(self.settings.speech_model, self.settings.speech_threads)

    def transcribes_on_worker(self) -> bool:
        """On PostgreSQL the worker transcribes (a job, retried when it fails); on SQLite no worker runs,
        so the process that received the recording transcribes it at once."""
        from .adapters.transcription_queue import runs_on_worker

        return runs_on_worker(self.settings.database_url)

    def queue_transcription(self, recording_id: int) -> None:
        """Defer the transcription of a recording to the worker (PostgreSQL)."""
        from .adapters.transcription_queue import defer

        defer(self.settings.database_url, recording_id)

    def transcribe_now(self, recording_id: int) -> Recording | None:
        """Transcribe a recording in this process (raises what the transcriber raised, once the error
        is recorded on the recording)."""
        from .services import calls

        return calls.transcribe(self.uow, self.audio_store(), self.transcriber, recording_id)

    def start_transcription(self, recording_id: int) -> Callable[[], None] | None:
        """After an upload from a page or the API: on PostgreSQL, defer the transcription to the worker
        and return None (a failed defer leaves the recording waiting: the worker's sweep defers it
        again); on SQLite, return the work for the caller to run once the answer is sent."""
        if self.transcribes_on_worker():
            try:
                self.queue_transcription(recording_id)
            except Exception:
                log.warning("could not queue the transcription of recording %s", recording_id, exc_info=True)
            return None
        return lambda: self.transcribe_quietly(recording_id)

    def transcribe_quietly(self, recording_id: int) -> None:
        """Transcribe at once; a failure is recorded on the recording (the task shows it), not raised."""
        try:
            self.transcribe_now(recording_id)
        except Exception:
            log.warning("transcribing recording %s failed", recording_id, exc_info=True)

    def dialer_link(self, phone: str) -> str:
        """The link a phone number opens (ARREARS_DIALER_URL, `tel:{phone}` by default)."""
        from urllib.parse import quote

        number = "".join(phone.split())
        return self.settings.dialer_url.replace("{phone}", quote(number, safe="+*#()-.,;="))

    def mailbox(self) -> Mailbox | None:
        """The AR mailbox that replies land in (ARREARS_IMAP_URL); None when it is not set."""
        if not self.settings.imap_url:
            return None
        from .adapters.imap import mailbox_from_url

        return mailbox_from_url(self.settings.imap_url)

    def workflows(self) -> tuple[Workflow, ...]:
        """The workflows in force: ARREARS_WORKFLOWS, else the stored file, else the built-in default."""
        path = self.settings.workflows
        given = (path.read_text(encoding="utf-8"), str(path)) if path is not None else None
        default = (DEFAULT_WORKFLOWS.read_text(encoding="utf-8"), "built-in default workflow")
        return workflows.active(self.uow(), given, default, self.template_names())

    def template_names(self) -> set[str]:
        """The email templates that exist now, those saved from the templates page since this
        process last read them included (what a workflow file's steps are checked against)."""
        email_templates.load_stored(self.uow(), self.templates)
        return self.templates.names()

    @contextmanager
    def dry_run(self) -> Iterator[Callable[[], UnitOfWork]]:
        """Units of work that see each other's writes and keep none: for `--dry-run`."""
        assert self.clock is not None
        clock = self.clock
        with self.engine.connect() as connection:
            outer = connection.begin()
            try:
                yield lambda: SqlUnitOfWork(
                    self.engine,
                    clock,
                    shared=connection,
                    dispute_reasons=self.dispute_reasons,
                    priority_rates=self.priority_rates,
                )
            finally:
                outer.rollback()

    def ready(self) -> Arrears:
        """Check (or, on SQLite, create) the schema before a command uses the database."""
        ensure_schema(self.engine)
        self.refresh_workspace()
        return self

    def upgrade(self) -> tuple[str | None, str]:
        return upgrade(self.engine)

    def logging_config(self) -> dict[str, Any]:
        """How `arrears serve` and `arrears worker` log (ARREARS_LOG_FORMAT: text or json, every line
        of a web request with its id), as a `logging.config.dictConfig`; InvalidValue for another
        format."""
        return logs.logging_config(self.settings.log_format)

    def readiness(self) -> Readiness:
        """Whether this process can serve: the database answers and its schema is the newest this
        version knows. The reason says what is wrong without naming the database or its data.

        Bounded in time: the check uses `probe_engine` (connect and statement timeouts), and runs in
        a thread given READINESS_DEADLINE seconds, after which the answer is "not ready" even if
        the thread still waits (on a name lookup, which no database timeout covers); it ends on its
        own when its timeouts fire."""
        outcome: list[str | BaseException | None] = []

        def check() -> None:
            try:
                outcome.append(current_revision(self.probe_engine))
            except Exception as error:  # any failure to reach the database: the reason, not the trace
                outcome.append(error)

        worker = threading.Thread(target=check, name="arrears-readiness", daemon=True)
        worker.start()
        worker.join(READINESS_DEADLINE)
        if not outcome:
            log.warning("readiness: the database did not answer within %s s", READINESS_DEADLINE)
            return Readiness(False, None, f"the database did not answer within {READINESS_DEADLINE} seconds")
        found = outcome[0]
        if isinstance(found, BaseException):
            log.warning("readiness: the database does not answer: %s", found)
            return Readiness(False, None, f"the database does not answer ({type(found).__name__})")
        schema = found
        newest = head_revision()
        if schema is None:
            return Readiness(False, None, "the database has no Arrears schema: run `arrears db upgrade`")
        if schema != newest:
            return Readiness(
                False, schema, f"the schema is at revision {schema}, not {newest}: run `arrears db upgrade`"
            )
        return Readiness(True, schema, None)

    def backup(self, target: Path) -> Copied:
        """A consistent copy of the SQLite database, made while it is in use (BackupRefused on
        PostgreSQL, which has pg_dump)."""
        return backup.backup(self.settings.database_url, target)

    def restore(self, source: Path) -> Copied:
        """The backup `source` put back as the SQLite database, unless it is not an Arrears database
        or the database in place has a newer schema."""
        self.close()  # this process's own connections are not left on the database it replaces
        return backup.restore(self.settings.database_url, source)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "probe_engine" in self.__dict__:
            self.probe_engine.dispose()


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Arrears:
    return Arrears(settings or Settings(), clock)
