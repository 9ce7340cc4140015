"""Forms on pages: parse what a browser posts, and show what a service refused next
to the field it names.

Pages reuse the API's marshmallow schemas to parse, so a page and the API accept
and refuse exactly the same input, with the same messages."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import request
from marshmallow import ValidationError

from gpo.errors import DomainError, Invalid

MAX_PAGE_SIZE = 100


@dataclass
class FormErrors:
    """What a page shows after a refused form: one message on top, and one per field."""

    message: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.message or self.fields)

    def get(self, name: str, default=None):
        return self.fields.get(name, default)


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as {"lines.0.quantity": "..."}."""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        flat[prefix or "form"] = " ".join(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    elif messages is not None:
        flat[prefix or "form"] = str(messages)
    return flat


def errors_of(error: DomainError) -> FormErrors:
    """A service's refusal as form errors (its `errors` name the body fields)."""
    fields = {}
    if error.errors:
        # a body's fields, or a query argument's (a date asked in the address)
        source = (error.errors.get("json") or error.errors.get("query") or error.errors) \
            if isinstance(error.errors, dict) else error.errors
        fields = _flatten(source)
    return FormErrors(message=error.message, fields=fields)


def load(schema, data: dict, **kwargs) -> dict:
    """`schema` (a marshmallow Schema instance) loads `data`; a refusal raises Invalid
    whose errors name the fields, as the API's 422 does."""
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise Invalid("Please correct the fields marked below.", {"json": exc.messages}) from None


def form_data(*, lists: tuple[str, ...] = ()) -> dict:
    """The posted form as a dict: blank fields left out (a schema's default applies),
    the names in `lists` as lists of values."""
    data = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        if key in lists:
            data[key] = [v for v in request.form.getlist(key) if v != ""]
        elif request.form[key].strip() != "":
            data[key] = request.form[key].strip()
    return data


def page_args(default_size: int = 25) -> tuple[int, int]:
    """`page` and `page_size` from the query string, kept in range (never an error)."""
    def number(name: str, default: int, high: int) -> int:
        raw = request.args.get(name, "")
        return min(max(int(raw), 1), high) if raw.isascii() and raw.isdigit() and len(raw) < 7 else default

    return number("page", 1, 10**6), number("page_size", default_size, MAX_PAGE_SIZE)


def undo_refused() -> None:
    """Undo, now, what a refused use case did before it refused, so that the page
    shown again with the refusal reads the data as it was (and a failed flush does
    not leave the session unusable). The request's unit of work discards it anyway
    when the page answers 4xx; this only lets the same request read again. Call it
    first in every `except DomainError` of a page that renders."""
    from gpo.db import db

    db.session.rollback()


def refusal(error: DomainError, shown_at_form: tuple[int, ...] | None = None) -> FormErrors:
    """A service's refusal that the page shows again at its form: the refused use
    case's work is undone (undo_refused) and its FormErrors returned. One that belongs
    on the error page is raised again: a status outside `shown_at_form`, or, when it is
    not given, 403 and 404 (a role that may not act, another practice's object)."""
    if (error.status_code not in shown_at_form) if shown_at_form else error.status_code in (403, 404):
        raise error
    undo_refused()
    return errors_of(error)
