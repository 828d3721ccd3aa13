"""Settings, read once from the environment (and a `.env` file) and passed down: docs/settings.md."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARREARS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///arrears.db"
    email_url: str = "file://mail"
    email_from: str = "ar@example.com"
    workflows: Path | None = None
    templates_dir: Path | None = None
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    # The proxies in front of `arrears serve` whose X-Forwarded-For and X-Forwarded-Proto are believed
    # (comma-separated addresses or networks, `*` for any; ARREARS_FORWARDED_ALLOW_IPS). Empty: no one's,
    # so a client can neither choose the address it is throttled under nor pass for HTTPS.
    forwarded_allow_ips: str = ""
    # How many API calls each user's tokens may make a minute, counted by every server process alike
    # (ARREARS_API_RATE_LIMIT; 0: no limit); over it a call is answered 429 with Retry-After.
    api_rate_limit: int = 1200
    # The company's time zone: what "today" is for due dates, the task list and the daily cycle.
    timezone: str = "UTC"
    # Who the customer's emails come from, by name, and how amounts and dates are written in them.
    company_name: str = "Arrears Demo Co."
    # When `arrears worker` runs the daily cycle: HH:MM in the company's time zone, and whether
    # weekends are skipped.
    cycle_time: str = "06:00"
    cycle_business_days_only: bool = False
    # How many customers the daily cycle's firing phase handles per transaction (ARREARS_CYCLE_BATCH):
    # a cycle killed half-way leaves whole batches done or not done.
    cycle_batch: int = 1000
    # How many days `arrears worker` keeps its finished jobs (ARREARS_JOBS_KEEP_DAYS, at least 1):
    # older ones are deleted every night, so that the job tables do not grow without end.
    jobs_keep_days: int = 30
    # How many senders `arrears worker` runs at once (ARREARS_SEND_LANES, at least 1): each lane is a
    # job of its own, so several workers send the outbox side by side; each email is still sent by one.
    send_lanes: int = 2
    # How `arrears serve` and `arrears worker` write their logs (ARREARS_LOG_FORMAT): `text` lines or
    # `json`, one object per line with the web request's id.
    log_format: str = "text"
    locale: str = "en_US"
    # Bank-transfer instructions (free text) printed on statements: ARREARS_BANK_DETAILS.
    bank_details: str = ""
    # The customer portal: how many days a link stays valid (ARREARS_PORTAL_LINK_DAYS).
    portal_link_days: int = 30
    # Online payment through Stripe Checkout: offered on the portal when the secret key is set; the
    # webhook endpoint answers only with its signing secret; another API base serves tests.
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    # Inbound mail: the AR mailbox replies land in (imap://user:pass@host:port/FOLDER or imaps://…),
    # fetched by the worker every minute; the Reply-To of the emails sent ({token}: the email's reply
    # token; empty: ARREARS_EMAIL_FROM plus-addressed, ar+TOKEN@…).
    imap_url: str = ""
    reply_to: str = ""
    # Credit: alert when a customer's newest score is below this percent of its scale; a review falls
    # due this many days after the last one (or the newest score); the levels of the credit limit
    # (percents, comma-separated) whose crossing raises an alert ("80,90,100" warns early).
    credit_score_alert_below: int = 40
    credit_review_days: int = 365
    credit_limit_alerts: str = "100"
    # The reason codes a dispute may carry, comma-separated (ARREARS_DISPUTE_REASONS): when set, in
    # force over those an owner stored; unset, the stored ones, else domain.disputes.DEFAULT_REASONS.
    dispute_reasons: str | None = None
    # The task list's priority compares customers in different currencies through these rates,
    # comma-separated (ARREARS_PRIORITY_RATES, "JPY=0.0067,EUR=1.08": one unit of each in the unit
    # the team ranks in); a currency without a rate counts 1:1 (domain/worklist.py).
    priority_rates: str = ""
    # Calls: where recordings' audio is kept (default: `recordings` beside the SQLite database, else in
    # the working directory), the largest recording accepted (MB), and after how many days its audio
    # is deleted, its transcript kept (0: never deleted).
    calls_dir: Path | None = None
    calls_max_mb: int = 50
    calls_retention_days: int = 90
    # Speech to text: a CTranslate2 Whisper model directory (default: the small English model that
    # installs with Arrears) and how many CPU threads one transcription uses.
    speech_model: Path | None = None
    speech_threads: int = 2
    # What a phone number links to: `tel:{phone}` (the default), or a softphone's scheme such as
    # `sip:{phone}` or `callto:{phone}` ({phone}: the number without spaces).
    dialer_url: str = "tel:{phone}"
    # Suggestions from a call's transcript (a promise to pay, a dispute, a new contact), offered as
    # one-click actions on the call task, never applied without the click. Off by default.
    call_suggestions: bool = False
