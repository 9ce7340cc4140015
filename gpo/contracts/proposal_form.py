"""The tier editor of the console's and the portal's negotiation pages: a posted form
as the API's proposal body (TermsSchema parses it, so the messages are the API's), and
refusals routed to the field each message is about."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import request

from gpo.contracts.schemas import TermsSchema
from gpo.errors import Invalid
from gpo.web.forms import FormErrors, load

BLANK_ROWS = 2  # empty tier rows the editor offers beyond the proposal's own
_ROW_KEY = re.compile(r"^tiers\.(\d{1,2})\.(min_volume|discount_percent|item_prices)$")
_PAIR = re.compile(r"^\s*(\d{1,12})\s*[=:]\s*(\S+)\s*$")
ITEM_PRICES_FORMAT = "write each fixed price as product id = unit price, separated by commas"


def example_pair(items) -> str:
    """The editor's example fixed price, on the contract's own first item (its id and
    90% of its list price, in cents): "9 = 1124.10"; "" without items."""
    if not items:
        return ""
    first = items[0]
    price = (Decimal(str(first.list_price)) * Decimal("0.9")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{first.id} = {price}"


def item_prices_format(example: str = "") -> str:
    """The refusal of a fixed price not written as `id = price`, with the contract's own example."""
    if example:
        return f"{ITEM_PRICES_FORMAT} ({example})"
    return f"{ITEM_PRICES_FORMAT} (the product ids are those listed with the items)"


@dataclass
class EditorForm:
    """The editor as the user filled it in (strings, shown again as typed)."""

    rows: list[dict] = field(default_factory=list)  # {"min_volume", "discount_percent", "item_prices"}
    admin_fee_percent: str = ""
    admin_fee_disclosure: str = ""
    admin_fee_settlement: str = "remitted"
    notes: str = ""

    def shown_rows(self) -> list[dict]:
        return self.rows + [{"min_volume": "", "discount_percent": "", "item_prices": ""}] * BLANK_ROWS


def from_proposal(proposal) -> EditorForm:
    """The editor filled with a proposal's terms (where a counter starts)."""
    if proposal is None:
        return EditorForm(rows=[{"min_volume": "0", "discount_percent": "0", "item_prices": ""}],
                          admin_fee_percent="2")
    rows = [{"min_volume": str(t["min_volume"]), "discount_percent": _plain(t["discount_percent"]),
             "item_prices": ", ".join(f"{k} = {v}" for k, v in (t.get("item_prices") or {}).items())}
            for t in proposal.tiers]
    return EditorForm(rows=rows, admin_fee_percent=_plain(proposal.admin_fee_percent),
                      admin_fee_disclosure=proposal.admin_fee_disclosure or "",
                      admin_fee_settlement=proposal.admin_fee_settlement or "remitted", notes="")


def _plain(value) -> str:
    """A stored percent as typed ("2.5", not "2.5000")."""
    return format(Decimal(str(value)).normalize(), "f")


def posted() -> EditorForm:
    """The posted editor; blank tier rows are dropped (so positions match the API's)."""
    found: dict[int, dict] = defaultdict(dict)
    for key in request.form:
        match = _ROW_KEY.match(key)
        if match:
            found[int(match.group(1))][match.group(2)] = request.form[key].strip()
    rows = []
    for index in sorted(found):
        row = {name: found[index].get(name, "") for name in ("min_volume", "discount_percent", "item_prices")}
        if any(row.values()):
            rows.append(row)
    return EditorForm(rows=rows, admin_fee_percent=request.form.get("admin_fee_percent", "").strip(),
                      admin_fee_disclosure=request.form.get("admin_fee_disclosure", "").strip(),
                      admin_fee_settlement=request.form.get("admin_fee_settlement", "").strip(),
                      notes=request.form.get("notes", "").strip())


def body_of(form: EditorForm, example: str = "") -> dict:
    """The form as the API's proposal body (before TermsSchema loads it); `example`
    (example_pair) shows the way to write a fixed price when one is not."""
    tiers, errors = [], {}
    for index, row in enumerate(form.rows):
        tier: dict = {}
        if row["min_volume"]:
            volume = row["min_volume"].replace(",", "")
            tier["min_volume"] = int(volume) if re.fullmatch(r"-?\d{1,18}", volume) else row["min_volume"]
        if row["discount_percent"]:
            tier["discount_percent"] = row["discount_percent"].rstrip("%").strip()
        prices = {}
        for pair in filter(None, (p.strip() for p in re.split(r"[,;\n]", row["item_prices"]))):
            match = _PAIR.match(pair)
            if match is None:
                errors[index] = {"item_prices": [item_prices_format(example)]}
                break
            prices[match.group(1)] = match.group(2).lstrip("$")
        tier["item_prices"] = prices
        tiers.append(tier)
    if errors:
        raise Invalid("Please correct the fields marked below.", {"json": {"tiers": errors}})
    body = {"tiers": tiers, "admin_fee_percent": form.admin_fee_percent}
    if not form.admin_fee_percent:
        body.pop("admin_fee_percent")
    if form.admin_fee_disclosure:
        body["admin_fee_disclosure"] = form.admin_fee_disclosure
    if form.admin_fee_settlement:  # absent: the schema's default (remitted)
        body["admin_fee_settlement"] = form.admin_fee_settlement
    if form.notes:
        body["notes"] = form.notes
    return body


def terms_of(form: EditorForm, example: str = "") -> dict:
    """The editor's terms loaded by the API's TermsSchema (Invalid: its messages)."""
    return load(TermsSchema(), body_of(form, example))


def _tier_field(message: str) -> str:
    """Which input of a tier row a rule's message is about."""
    if "min_volume" in message:
        return "min_volume"
    if message.startswith("discount_percent"):
        return "discount_percent"
    return "item_prices"


def _messages(value, prefix: str = "") -> list[str]:
    if isinstance(value, str):
        return [f"{prefix}{value}"]
    if isinstance(value, dict):
        return [m for key, sub in value.items()
                for m in _messages(sub, prefix if key in ("key", "value") else f"{prefix}product {key}: ")]
    if isinstance(value, list):
        return [m for sub in value for m in _messages(sub, prefix)]
    return [f"{prefix}{value}"]


def routed(errors: dict) -> dict[str, list[str]]:
    """A refusal's `errors.json` (the API's shape) by the editor's inputs: a tier's rule
    messages at the row's min volume, discount or fixed prices; "tiers" for the editor
    as a whole; the other fields by name."""
    out: dict[str, list[str]] = defaultdict(list)
    for key, value in (errors or {}).items():
        if key == "tiers" and isinstance(value, dict):
            for position, sub in value.items():
                if not str(position).isdigit():
                    out["tiers"].extend(_messages(sub))
                elif isinstance(sub, list):
                    for message in _messages(sub):
                        out[f"tiers.{position}.{_tier_field(message)}"].append(message)
                elif isinstance(sub, dict):
                    for name, messages in sub.items():
                        out[f"tiers.{position}.{name}"].extend(_messages(messages))
        else:
            out[str(key)].extend(_messages(value))
    return dict(out)


def editor_errors(message: str, errors: dict | None) -> FormErrors:
    return FormErrors(message=message, fields={k: " ".join(v) for k, v in routed(errors or {}).items()})


def violation_count(errors: dict | None) -> int:
    return sum(len(v) for v in routed(errors or {}).values())
