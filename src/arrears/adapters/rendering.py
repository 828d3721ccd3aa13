"""Emails and invoice PDFs from Jinja2 templates: built-in ones, overridable from a folder.

HTML is autoescaped, so whatever a customer typed (a name like `<script>`) renders as text;
subjects lose line breaks (no header injection). Amounts are formatted for the currency and the
locale by Babel; the PDF is drawn by WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.core import Locale
from babel.dates import format_date
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

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


class Templates:
    """The template set: `override_dir` first (ARREARS_TEMPLATES_DIR), then the built-in templates."""

    def __init__(self, override_dir: Path | None = None, *, company: str = "Arrears", locale: str = "en_US") -> None:
        loaders: list[Any] = []
        if override_dir is not None:
            if not override_dir.is_dir():
                raise TemplateError(f"ARREARS_TEMPLATES_DIR {override_dir} is not a folder")
            loaders.append(FileSystemLoader(override_dir))
        loaders.append(PackageLoader("arrears.adapters", "templates"))
        self.override_dir = override_dir
        self.company = company
        self.locale = locale
        # Parsed once: Babel builds a new Locale from a string on every call, which was a third of
        # the time of rendering an email; dates repeat (due dates), so their formatting is cached.
        self._babel_locale = Locale.parse(locale)
        self._days: dict[date, str] = {}
        self._money: dict[str, Callable[[Decimal], str]] = {}
        self.html = self._environment(ChoiceLoader(loaders), autoescape=True)
        self.plain = self._environment(ChoiceLoader(loaders), autoescape=False)

    def _environment(self, loader: Any, *, autoescape: bool) -> Environment:
        # HTML parts are autoescaped; the plain environment renders subjects and text parts, not HTML.
        escape = select_autoescape(enabled_extensions=("html",), default_for_string=True) if autoescape else False
        env = Environment(
            loader=loader,
            autoescape=escape,  # noqa: S701
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

    def names(self) -> set[str]:
        """The email templates that exist (a name has a subject, an HTML and a text part)."""
        found = set()
        for folder in (BUILT_IN, self.override_dir):
            if folder is None:
                continue
            for path in (folder / "emails").glob("*.subject.txt"):
                found.add(path.name.removesuffix(".subject.txt"))
        return found

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
