"""The "Post a program" form of the console and the portal: a program's terms as a
person types them (one rate, band or credit a line, rates in dollars) turned into the
body POST /insurance/programs takes, then parsed by the API's own ProgramCreateSchema,
so the page accepts and refuses exactly what the API does, with its messages. Each
message is shown at the form field it belongs to ("line 2: ...").

Money is typed in dollars and becomes the API's integer cents exactly (Decimal, never
a float): "$12,000.00" is 1200000 cents; a fraction of a cent is refused."""
from __future__ import annotations

import datetime as dt
import re

from flask import flash, redirect, url_for

from gpo.errors import DomainError, Invalid
from gpo.insurance import programs
from gpo.insurance.rules import INSTALLMENT_CHOICES
from gpo.insurance.schemas import ProgramCreateSchema
from gpo.money import NotDollars, parse_dollars
from gpo.web.forms import FormErrors, load, refusal

# The form's fields (named as the API's body fields), typed one entry a line.
LINES = ("specialty_classes", "rates", "claims_free_credits", "group_discount_bands")
# ... or as one comma-separated line.
LISTS = ("limits_options", "step_factors")
_PARTS = {"specialty_class": "class", "limits": "limits", "annual_rate_cents": "annual rate",
          "min_years": "claims-free years", "min_providers": "providers", "percent": "percent",
          "key": "specialty", "value": "class"}
_REFUSED = "Please correct the fields marked below."


def defaults(today: dt.date) -> dict:
    """The form as first shown: next year's period and typical terms to adapt."""
    year = today.year + 1
    return {
        "period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
        "limits_options": "1M/3M, 2M/4M",
        "specialty_classes": "family_medicine: 1\npediatrics: 1\ngeneral_surgery: 6\nobgyn: 8",
        "rates": "1, 1M/3M, 12000.00\n1, 2M/4M, 15000.00\n6, 1M/3M, 41000.00\n6, 2M/4M, 49000.00\n"
                 "8, 1M/3M, 52000.00\n8, 2M/4M, 61000.00",
        "step_factors": "0.35, 0.60, 0.80, 0.90, 1.00",
        "claims_free_credits": "3, 5\n5, 10",
        "group_discount_bands": "0, 0\n10, 5\n25, 10\n50, 15",
        "installment_options": ["1", "4", "12"],
    }


INSTALLMENT_OPTIONS = [(str(n), "1 payment" if n == 1 else f"{n} payments") for n in INSTALLMENT_CHOICES]


def _cents(text: str) -> int | None:
    """Dollars as typed ("$12,000.00", "12000") in exact cents (`gpo.money.parse_dollars`), or None."""
    try:
        return parse_dollars(text)
    except NotDollars:
        return None


def _lines(text: str) -> list[tuple[int, str]]:
    """The lines that hold something, numbered 1, 2, ... (blank lines do not count)."""
    return list(enumerate((line.strip() for line in text.splitlines() if line.strip()), start=1))


def _split(line: str, parts: int) -> list[str] | None:
    cells = [cell.strip() for cell in line.split(",", parts - 1)]
    return cells if len(cells) == parts and all(cells) else None


def _body(values: dict) -> tuple[dict, dict[str, list[str]]]:
    """The API body from the form's text, and what could not be read, by field."""
    body = {key: values[key] for key in ("name", "carrier_vendor_id", "period_start", "period_end") if key in values}
    problems: dict[str, list[str]] = {}
    for key in LISTS:
        if key in values:
            body[key] = [item.strip() for item in values[key].split(",") if item.strip()]
    if "installment_options" in values:
        body["installment_options"] = list(values["installment_options"])
    if "specialty_classes" in values:
        classes: dict[str, str] = {}
        for n, line in _lines(values["specialty_classes"]):
            specialty, sep, label = line.replace("=", ":").partition(":")
            if not sep or not specialty.strip() or not label.strip():
                problems.setdefault("specialty_classes", []).append(f"line {n}: write it as specialty: class")
            elif specialty.strip() in classes:
                problems.setdefault("specialty_classes", []).append(f"line {n}: {specialty.strip()} has a class already")
            else:
                classes[specialty.strip()] = label.strip()
        body["specialty_classes"] = classes
    if "rates" in values:
        rates = []
        for n, line in _lines(values["rates"]):
            cells = _split(line, 3)
            cents = _cents(cells[2]) if cells else None
            if cells is None:
                problems.setdefault("rates", []).append(f"line {n}: write it as class, limits, annual rate in dollars")
            elif cents is None:
                problems.setdefault("rates", []).append(
                    f"line {n}: {cells[2]!r} is not an amount in dollars and cents (like 12000.00)")
            else:
                rates.append({"specialty_class": cells[0], "limits": cells[1], "annual_rate_cents": cents})
        body["rates"] = rates
    for key, minimum in (("claims_free_credits", "min_years"), ("group_discount_bands", "min_providers")):
        if key not in values:
            continue
        rows = []
        for n, line in _lines(values[key]):
            cells = _split(line, 2)
            if cells is None:
                what = "claims-free years" if key == "claims_free_credits" else "providers"
                problems.setdefault(key, []).append(f"line {n}: write it as {what}, percent")
            else:
                rows.append({minimum: cells[0], "percent": cells[1].removesuffix("%").strip()})
        body[key] = rows
    return body, problems


def _at_field(messages: dict) -> dict[str, list[str]]:
    """The schema's messages, nested by line ({"rates": {0: {"limits": [...]}}}), as
    lists per form field ("line 1, limits: ...")."""
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        found = flat.setdefault(key, [])
        if isinstance(value, list):
            found.extend(str(m) for m in value)
            continue
        for index, inner in value.items():
            where = f"line {int(index) + 1}" if key in LINES and str(index).isdigit() else (
                f"entry {int(index) + 1}" if str(index).isdigit() else str(index))
            if isinstance(inner, dict):
                found.extend(f"{where}, {_PARTS.get(part, part)}: {' '.join(map(str, m))}" for part, m in inner.items())
            else:
                found.append(f"{where}: {' '.join(map(str, inner))}")
    return flat


def parse(values: dict) -> dict:
    """The program ProgramCreateSchema loads from the form, or Invalid (422) whose
    errors name the form's fields. `values` is `form_data(lists=("installment_options",))`."""
    body, problems = _body(values)
    try:
        data = load(ProgramCreateSchema(), body)
    except Invalid as exc:
        for key, messages in _at_field(exc.errors["json"]).items():
            if key not in problems:  # what could not be read says more than what the rest lacks
                problems[key] = messages
        raise Invalid(_REFUSED, {"json": problems}) from None
    if problems:
        raise Invalid(_REFUSED, {"json": problems})
    return data


def shown_again(errors: FormErrors) -> FormErrors:
    """A refusal of the service as the form shows it: one message per form field (the
    rate table's "rates[2]" is the form's "line 3")."""
    fields: dict[str, str] = {}
    for key, message in errors.fields.items():
        field = key.split(".")[0]
        message = re.sub(r"\brates\[(\d+)\]", lambda m: f"line {int(m.group(1)) + 1}", message)
        fields[field] = f"{fields[field]} {message}" if field in fields else message
    return FormErrors(errors.message, fields)


def post(principal, values: dict, programs_page, program_endpoint: str):
    """Post the program the form holds (the console's and the portal's "Post a program"):
    refused terms show the programs page again (programs_page(values=, errors=, status=)),
    with each message at its field; a posted program's page follows (program_endpoint)."""
    try:
        program = programs.create_program(principal, parse(values))
    except DomainError as exc:
        return programs_page(values=values, errors=shown_again(refusal(exc, (422,))), status=exc.status_code)
    flash(f"{program.name} is posted: open for enrollment.", "success")
    return redirect(url_for(program_endpoint, program_id=program.id))
