"""Emails and invoice PDFs from Jinja2 templates: built-in ones, overridable from a folder, and
those saved from the templates page (stored in the database), which win over both.

Templates run in Jinja's sandbox: a template a manager typed reaches the context's values and the
filters, never Python's internals (`__class__`, `__globals__`, …), and cannot make a string or a
number huge with `*` or `**`.

HTML is autoescaped, so whatever a customer typed (a name like `<script>`) renders as text;
subjects lose line breaks (no header injection). Amounts are formatted for the currency and the
locale by Babel; the PDF is drawn by WeasyPrint.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from babel.core import Locale
from babel.dates import format_date
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
)
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    FunctionLoader,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ..domain.email_templates import PART_SUFFIXES, PARTS, TemplateProblem, TemplateRefused, part_path
from ..domain.errors import ArrearsError

BUILT_IN = Path(__file__).parent / "templates"


class TemplateError(ArrearsError):
    code = "template"


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def _money_formatter(locale: Locale, currency: str) -> Callable[[Decimal], str]:
    """A function that formats amounts of `currency` in `locale` exactly as Babel's format_currency
    does. Everything it needs is read from the installed Babel's data once, here: the locale's
    currency pattern (where the symbol goes, the minus sign of negative amounts, the minimum of
    integer digits, the grouping sizes), its decimal and group symbols, and the currency's digits
    and symbol. format_currency looks all of them up, and the currency's plural name, on every
    call: three times the work for the same string, and a tenth of an email's rendering was there.
    Whatever this does not render itself, format_currency does."""

    def with_babel(amount: Decimal) -> str:
        return str(format_currency(amount, currency, locale=locale))

    pattern = locale.currency_formats["standard"]
    if (
        pattern.scale
        or pattern.exp_prec
        or not pattern.number_pattern
        or "@" in pattern.pattern  # significant digits
        or "¤¤¤" in pattern.pattern  # the currency's name, which depends on the amount (plural)
    ):
        return with_babel
    digits = get_currency_precision(currency)
    symbol = get_currency_symbol(currency, locale)
    quantum = Decimal(1).scaleb(-digits)
    point = get_decimal_symbol(locale) if digits else ""
    separator = get_group_symbol(locale)
    primary, secondary = pattern.grouping
    least = pattern.int_prec[0]

    def with_symbol(affix: str) -> str:
        return affix.replace("¤¤", currency.upper()).replace("¤", symbol)

    # Babel writes the pattern's own "-" in a negative amount (or the prefix and suffix of the
    # pattern's negative half, as in de_CH's "¤-#,##0.00"), not the locale's minus sign symbol.
    prefix, suffix = with_symbol(pattern.prefix[0]), with_symbol(pattern.suffix[0])
    negative_prefix, negative_suffix = with_symbol(pattern.prefix[1]), with_symbol(pattern.suffix[1])

    def format_amount(amount: Decimal) -> str:
        if type(amount) is not Decimal or not amount.is_finite():
            return with_babel(amount)
        if amount.is_signed():  # -0 too, as in Babel
            amount = amount.copy_abs()
            start, end = negative_prefix, negative_suffix
        else:
            start, end = prefix, suffix
        # Rounded to the currency's digits (half-even, the decimal context's), as pattern.apply does.
        whole, _, fraction = f"{amount.normalize().quantize(quantum):f}".partition(".")
        whole = whole.rjust(least, "0")
        size, groups = primary, ""
        while len(whole) > size:
            groups = separator + whole[-size:] + groups
            whole = whole[:-size]
            size = secondary
        return f"{start}{whole}{groups}{point}{fraction}{end}"

    if "'" not in separator + point + prefix + suffix + negative_prefix + negative_suffix:
        return format_amount

    # Babel unquotes its finished string as if it were a pattern: each pair of apostrophes
    # goes, what they enclose stays. Where the group symbol is an apostrophe (de_CH, fr_CH, it_CH
    # in the CLDR data of Babel 2.19), "CHF 1'234'567.00" comes out "CHF 1234567.00".
    # A string with two apostrophes or more is left to Babel, which stays the reference.
    def format_amount_unquoted(amount: Decimal) -> str:
        text = format_amount(amount)
        return with_babel(amount) if text.count("'") > 1 else text

    return format_amount_unquoted


def money_formatter(locale: Locale, currency: str) -> Callable[[Decimal], str]:
    """A function that writes amounts of `currency` in `locale` exactly as Babel's format_currency
    does, at a third of its cost (the customer portal's pages, beside the emails)."""
    return _money_formatter(locale, currency)


MAX_REPEAT = 100_000  # the longest string or list `*` may make in a template
MAX_EXPONENT = 1_000


def _repeat(left: Any, right: Any) -> Any:
    for times, sequence in ((right, left), (left, right)):
        if isinstance(times, int) and isinstance(sequence, str | list | tuple) and times * len(sequence) > MAX_REPEAT:
            raise SecurityError(f"a template may not repeat a value into more than {MAX_REPEAT:,} items")
    return operator.mul(left, right)


def _power(left: Any, right: Any) -> Any:
    if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
        raise SecurityError(f"a template may not raise to a power above {MAX_EXPONENT:,}")
    return operator.pow(left, right)


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, with `*` and `**` kept from making values too big to hold."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            return _repeat(left, right)
        if operator == "**":
            return _power(left, right)
        return super().call_binop(context, operator, left, right)


def _line_in(tb: TracebackType | None, filename: str) -> int | None:
    """The line of template `filename` where an error was raised (Jinja rewrites the traceback so its
    frames name the template's lines), the innermost one; None when no frame is in that template."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class Templates:
    """The template set: the stored parts first (`use_stored`, from the database), then `override_dir`
    (ARREARS_TEMPLATES_DIR), then the built-in templates."""

    def __init__(
        self,
        override_dir: Path | None = None,
        *,
        company: str = "Arrears",
        locale: str = "en_US",
        bank_details: str = "",
    ) -> None:
        loaders: list[BaseLoader] = []
        if override_dir is not None:
            if not override_dir.is_dir():
                raise TemplateError(f"ARREARS_TEMPLATES_DIR {override_dir} is not a folder")
            loaders.append(FileSystemLoader(override_dir))
        loaders.append(PackageLoader("arrears.adapters", "templates"))
        self._file_loaders = loaders
        self._stored: dict[str, str] = {}  # path in a template folder -> source
        self._stored_version: str | None = None
        self.override_dir = override_dir
        self.company = company
        self.locale = locale
        self.bank_details = bank_details  # ARREARS_BANK_DETAILS, printed on statements
        # Parsed once: Babel builds a new Locale from a string on every call, which was a third of
        # the time of rendering an email; dates repeat (due dates), so their formatting is cached.
        self._babel_locale = Locale.parse(locale)
        self._days: dict[date, str] = {}
        self._money: dict[str, Callable[[Decimal], str]] = {}
        self.html, self.plain = self._environments(ChoiceLoader([DictLoader(self._stored), *loaders]))

    def _environments(self, loader: BaseLoader) -> tuple[Environment, Environment]:
        """(HTML, plain) environments on `loader`, built together so that a swap replaces both."""
        return self._environment(loader, autoescape=True), self._environment(loader, autoescape=False)

    @property
    def stored_version(self) -> str | None:
        return self._stored_version

    def use_stored(self, version: str | None, sources: Mapping[tuple[str, str], str]) -> None:
        """Render with these stored parts ({(name, part): source}) before the folder and the built-ins,
        from the next email on. The environments are built anew (what they parsed and cached goes)."""
        stored = {part_path(name, part): source for (name, part), source in sources.items() if part in PARTS}
        self.html, self.plain = self._environments(ChoiceLoader([DictLoader(stored), *self._file_loaders]))
        self._stored, self._stored_version = stored, version

    @property
    def currency(self) -> str:
        territory = self._babel_locale.territory
        found = get_territory_currencies(territory) if territory else []
        return str(found[0]) if found else "USD"

    def _environment(self, loader: Any, *, autoescape: bool) -> Environment:
        # HTML parts are autoescaped; the plain environment renders subjects and text parts, not HTML.
        escape = select_autoescape(enabled_extensions=("html",), default_for_string=True) if autoescape else False
        env = _Sandbox(
            loader=loader,
            autoescape=escape,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            # Only a folder of overrides can change while a worker runs: without one, checking the
            # built-in files' times before each of the dozen templates an email uses is wasted work.
            auto_reload=self.override_dir is not None,
        )
        env.filters["money"] = self.money
        env.filters["day"] = self.day
        return env

    def money(self, amount: Decimal, currency: str) -> str:
        formatter = self._money.get(currency)
        if formatter is None:
            formatter = self._money[currency] = _money_formatter(self._babel_locale, currency)
        return formatter(amount)

    def day(self, value: date) -> str:
        found = self._days.get(value)
        if found is None:
            if len(self._days) > 10_000:
                self._days.clear()
            found = self._days[value] = str(format_date(value, format="medium", locale=self._babel_locale))
        return found

    def use_workspace(self, company: str, locale: str) -> None:
        """Render with this company name and locale from the next email on (an owner changed them on
        the settings page); what was cached for the former locale goes."""
        if locale != self.locale:
            babel_locale = Locale.parse(locale)
            self._days, self._money = {}, {}
            self._babel_locale, self.locale = babel_locale, locale
        self.company = company

    def names(self) -> set[str]:
        """The email templates that exist (a name has a subject, an HTML and a text part)."""
        found = set()
        for folder in (BUILT_IN, self.override_dir):
            if folder is None:
                continue
            for path in (folder / "emails").glob("*.subject.txt"):
                found.add(path.name.removesuffix(".subject.txt"))
        suffix = PART_SUFFIXES["subject"]
        found.update(p.removeprefix("emails/").removesuffix(suffix) for p in self._stored if p.endswith(suffix))
        return found

    def source(self, name: str, part: str, *, stored: bool = True) -> tuple[str, str] | None:
        """(the text of a part as it is used now, where it comes from: stored, folder or built-in);
        with `stored=False`, what it would be without the stored parts."""
        path = part_path(name, part)
        if stored and path in self._stored:
            return self._stored[path], "stored"
        for origin, folder in (("folder", self.override_dir), ("built-in", BUILT_IN)):
            if folder is not None and (folder / path).is_file():
                return (folder / path).read_text(encoding="utf-8"), origin
        return None

    def trial(self, name: str, parts: Mapping[str, str], context: dict[str, Any]) -> RenderedEmail:
        """Template `name` rendered with `parts` ({part: source}) in place of its own, the rest (the
        layout, the other parts) as in use now. Every part that does not parse, or fails to render
        with `context`, is named in a TemplateRefused, with its line when Jinja knows it."""
        edited = {part_path(name, part): source for part, source in parts.items() if part in PARTS}

        def load(path: str) -> tuple[str, str, Callable[[], bool]] | None:
            # The path as the template's file name: the lines of a traceback through it are its lines.
            return (edited[path], path, lambda: False) if path in edited else None

        html, plain = self._environments(
            ChoiceLoader([FunctionLoader(load), DictLoader(dict(self._stored)), *self._file_loaders])
        )
        problems: list[TemplateProblem] = []
        for part, path in ((p, part_path(name, p)) for p in PARTS if part_path(name, p) in edited):
            try:
                (html if part == "html" else plain).get_template(path)
            except TemplateSyntaxError as error:
                line = error.lineno if error.name in (None, path) else None
                where = "" if line is not None else f" (in {error.name})"
                problems.append(TemplateProblem(part, line, f"{error.message}{where}"))
        if problems:
            raise TemplateRefused(name, problems)
        rendered: dict[str, str] = {}
        for part in PARTS:
            path = part_path(name, part)
            environment = html if part == "html" else plain
            given = {"company": self.company, **context, "subject": rendered.get("subject", "")}
            try:
                rendered[part] = environment.get_template(path).render(given)
            except TemplateNotFound as error:
                problems.append(TemplateProblem(part, None, f"missing {error.name}"))
            except Exception as error:  # a template runs code its author wrote
                line = _line_in(error.__traceback__, path)
                problems.append(TemplateProblem(part, line, f"{type(error).__name__}: {error}"))
            if part == "subject" and part in rendered:
                rendered[part] = " ".join(rendered[part].split())
        if problems:
            raise TemplateRefused(name, problems)
        return RenderedEmail(rendered["subject"], rendered["html"], rendered["text"])

    def subject(self, name: str, context: dict[str, Any]) -> str:
        """The subject line (on one line): what the cycle renders when it queues an email."""
        return " ".join(self._render(self.plain, name, f"emails/{name}.subject.txt", context).split())

    def body(self, name: str, context: dict[str, Any], subject: str) -> RenderedEmail:
        """The HTML and text parts, under the subject the email was queued with."""
        html = self._render(self.html, name, f"emails/{name}.html", {**context, "subject": subject})
        text = self._render(self.plain, name, f"emails/{name}.txt", context)
        return RenderedEmail(subject, html, text)

    def email(self, name: str, context: dict[str, Any]) -> RenderedEmail:
        """Subject, HTML and text parts, at once (a preview)."""
        return self.body(name, context, self.subject(name, context))

    def _render(self, environment: Environment, name: str, path: str, context: dict[str, Any]) -> str:
        """One part of email template `name`. Whatever goes wrong (the file is missing, an override
        has an error, names a variable the context lacks, gives a filter what it cannot format) is a
        TemplateError that names the template."""
        try:
            return environment.get_template(path).render({"company": self.company, **context})
        except TemplateNotFound as error:
            raise TemplateError(f"no email template {name!r} (missing {error.name})") from None
        except Exception as error:  # a template runs code its author wrote
            raise TemplateError(f"email template {name!r} failed: {type(error).__name__}: {error}") from None

    def invoice_html(self, context: dict[str, Any]) -> str:
        return self.html.get_template("invoice.html").render({"company": self.company, **context})

    def invoice_pdf(self, context: dict[str, Any]) -> bytes:
        from weasyprint import HTML  # imported here: loading its libraries costs ~1 s

        pdf: bytes = HTML(string=self.invoice_html(context)).write_pdf()
        return pdf

    def statement_html(self, context: dict[str, Any]) -> str:
        """The customer's statement (`statement.html`, autoescaped), with the company's name and
        bank-transfer details (ARREARS_BANK_DETAILS)."""
        given = {"company": self.company, "bank_details": self.bank_details, **context}
        return self.html.get_template("statement.html").render(given)

    def report_pack_html(self, context: dict[str, Any]) -> str:
        """The month's reports for print (`report_pack.html`, autoescaped; its charts are SVG markup
        built and escaped by adapters/charts.py)."""
        return self.html.get_template("report_pack.html").render({"company": self.company, **context})

    def report_pack_pdf(self, context: dict[str, Any]) -> bytes:
        from weasyprint import HTML  # imported here, as for the invoice

        pdf: bytes = HTML(string=self.report_pack_html(context)).write_pdf()
        return pdf

    def statement_pdf(self, context: dict[str, Any]) -> bytes:
        from weasyprint import HTML  # imported here, as for the invoice

        pdf: bytes = HTML(string=self.statement_html(context)).write_pdf()
        return pdf
