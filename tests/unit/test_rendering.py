"""Email and invoice templates: escaped, formatted for the currency, overridable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arrears.adapters.rendering import TemplateError, Templates


def context(
    name: str = "Acme <script>alert(1)</script>", currency: str = "EUR", owed: str = "1150.50"
) -> dict[str, Any]:
    invoice = {
        "number": "INV-1",
        "issue_date": date(2026, 5, 1),
        "due_date": date(2026, 5, 31),
        "amount": Decimal("1200.00"),
        "outstanding": Decimal("1150.50"),
        "days_past_due": 30,
    }
    return {
        "customer": {"name": name, "external_id": "C1"},
        "contact_name": None,
        "invoices": [invoice],
        "total": Decimal("1150.50"),
        "currency": currency,
        "step": {"name": "past-due-30", "days": 30},
        "as_of": date(2026, 6, 30),
        "invoice": invoice,
        "portal_url": "",
    }


def test_a_customer_supplied_name_is_escaped_in_html_and_kept_as_text_in_the_text_part() -> None:
    email = Templates(company="Northwind").email("past_due", context())

    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "Dear Acme <script>alert(1)</script>," in email.text


def test_amounts_are_formatted_for_the_currency() -> None:
    yen = Templates(company="Northwind").email("past_due", context(currency="JPY", owed="1150"))
    euros = Templates(company="Northwind").email("past_due", context())

    assert "€1,150.50" in euros.text
    assert euros.subject == "Overdue: €1,150.50 on your account with Northwind"
    assert "¥1,150 outstanding" in yen.text


def test_every_built_in_template_renders() -> None:
    templates = Templates()

    for name in templates.names():
        rendered = templates.email(name, context())
        assert rendered.subject and "\n" not in rendered.subject
        assert rendered.html.startswith("<!doctype html>")


@pytest.mark.parametrize("company", ["Arrears Demo Co.", "Northwind"])
def test_a_company_name_ending_in_a_full_stop_ends_the_sentence_once(company: str) -> None:
    email = Templates(company=company).email("welcome", context())

    assert f"statements from {company.removesuffix('.')}." in email.text
    assert ".." not in email.text and ".." not in email.html


def test_a_template_folder_overrides_the_built_in_ones(tmp_path: Path) -> None:
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "past_due.subject.txt").write_text("Pay up, {{ customer.name }}")

    email = Templates(tmp_path).email("past_due", context(name="Acme"))

    assert email.subject == "Pay up, Acme"
    assert "past due" in email.text


def test_an_unknown_template_is_a_clear_error() -> None:
    with pytest.raises(TemplateError, match="no email template 'nope'"):
        Templates().email("nope", context())


def test_the_invoice_renders_as_a_pdf() -> None:
    pdf = Templates(company="Northwind").invoice_pdf(context())

    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "ja_JP", "ar_EG"])
def test_amounts_are_formatted_as_babel_formats_them_for_every_currency_and_locale(locale: str) -> None:
    from babel.dates import format_date
    from babel.numbers import format_currency

    templates = Templates(locale=locale)
    for currency in ("USD", "EUR", "GBP", "JPY", "BHD", "CHF"):
        for amount in (Decimal("0"), Decimal("1234567.891"), Decimal("-12.5"), Decimal("0.01")):
            assert templates.money(amount, currency) == format_currency(amount, currency, locale=locale)
    for _ in range(2):  # the second time from the cache
        assert templates.day(date(2026, 6, 30)) == format_date(date(2026, 6, 30), format="medium", locale=locale)


@pytest.mark.parametrize("name", ["courtesy_reminder", "past_due", "final_notice", "invoice"])
def test_a_reminder_links_to_the_customers_portal_escaped_in_html(name: str) -> None:
    url = 'https://ar.example/portal/T?a=1&b="x"'

    email = Templates().email(name, {**context(), "portal_url": url})

    assert f"See, pay or dispute your invoices online: {url}\n" in email.text
    escaped = "https://ar.example/portal/T?a=1&amp;b=&#34;x&#34;"
    assert f'<a href="{escaped}">{escaped}</a>' in email.html


@pytest.mark.parametrize("name", ["courtesy_reminder", "past_due", "final_notice", "invoice", "welcome"])
def test_without_a_portal_link_no_line_speaks_of_one(name: str) -> None:
    email = Templates().email(name, context())

    assert "online" not in email.text and "online" not in email.html
    assert "\n\n\n" not in email.text


def test_a_welcome_has_no_portal_line_even_with_a_link() -> None:
    email = Templates().email("welcome", {**context(), "portal_url": "https://ar.example/portal/T"})

    assert "/portal/" not in email.text and "/portal/" not in email.html
