"""The console's contract pages (WEB.md "Console pages"): the contracts with who each
waits on, a new contract with its first proposal, and a contract's negotiation thread
with each proposal's terms side by side, what each changed, the tier editor ("Check
proposal" reports every rule a draft breaks, with the API's messages), counter,
accept, reject and terminate. The portal's proposal pages (portal_pages) share the
thread's handlers below. Each handler parses, calls one service, renders."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from gpo.auth import policy
from gpo.auth.request import current_principal
from gpo.catalog.models import CATEGORIES, CATEGORY_WORDS
from gpo.contracts import negotiation, proposal_form, services
from gpo.contracts.schemas import (
    CONTRACT_STATUSES,
    ContractCreateSchema,
    ContractListQuerySchema,
    TerminateSchema,
)
from gpo.errors import DomainError
from gpo.web.forms import FormErrors, form_data, load, page_args, refusal
from gpo.web.shell import page_blueprint

blp = page_blueprint("contract_console", __name__, "console", url_prefix="/console")

CONTRACT_WORDS = {
    "negotiating": "being negotiated",
    "accepted": "agreed, not started yet",
    "active": "in effect",
    "expired": "expired",
    "terminated": "terminated early",
}
PROPOSAL_WORDS = {
    "open": "open: waiting for an answer",
    "superseded": "superseded by a later proposal",
    "accepted": "accepted",
    "rejected": "rejected",
}
SIDE_WORDS = {"mso": "the MSO", "vendor": "the vendor"}
NEGOTIATORS = "Only MSO procurement or an MSO admin negotiates contracts"
NOT_NEGOTIATOR = f"{NEGOTIATORS}: your role may read this thread but not counter, accept or reject."
NOT_CREATOR = f"{NEGOTIATORS}: your role may read contracts but not open one."
NOT_TERMINATOR = "Only MSO procurement or an MSO admin may terminate a contract."


def _json_errors(exc: DomainError) -> dict:
    """A refusal's field errors as the API's `errors.json` (a service's own refusals may
    name body fields without the `json` level)."""
    errors = exc.errors if isinstance(exc.errors, dict) else {}
    return errors.get("json", errors)


# --- the list ---------------------------------------------------------------------------


def contracts_page(bp: str, template: str, default_status: str | None = None):
    """A list of contracts (the console's all, the portal's the vendor's own)."""
    principal = current_principal()
    page, page_size = page_args()
    raw = {k: v.strip() for k, v in request.args.items() if k in ("vendor_id", "status", "q") and v.strip()}
    try:
        filters = load(ContractListQuerySchema(), raw)
        result = negotiation.contract_rows(principal, filters, page, page_size)
    except DomainError as exc:
        errors = refusal(exc, (422,))
        return render_template(template, rows=[], total=0, page=page, page_size=page_size, filters=raw,
                               errors=errors, vendors=negotiation.vendor_choices(principal),
                               statuses=[(s, CONTRACT_WORDS[s]) for s in CONTRACT_STATUSES], bp=bp,
                               may_create=policy.may(principal, "contract.create"),
                               not_creator=NOT_CREATOR), exc.status_code
    return render_template(template, rows=result.items, total=result.total, page=page, page_size=page_size,
                           filters=raw, errors=FormErrors(), vendors=negotiation.vendor_choices(principal),
                           statuses=[(s, CONTRACT_WORDS[s]) for s in CONTRACT_STATUSES], bp=bp,
                           may_create=policy.may(principal, "contract.create"), not_creator=NOT_CREATOR)


@blp.get("/contracts")
def contracts():
    return contracts_page("contract_console", "contracts/console_contracts.html")


# --- a new contract -----------------------------------------------------------------------


def _new_page(values: dict, editor: proposal_form.EditorForm, errors: FormErrors | None = None, status: int = 200):
    principal = current_principal()
    vendor_id = values.get("vendor_id")
    choice = negotiation.new_contract_form(principal, int(vendor_id) if str(vendor_id or "").isdigit() else None)
    chosen = [p for p in choice.products if str(p.id) in values.get("items", [])] or choice.products
    return render_template("contracts/console_new.html", form=choice, values=values, editor=editor,
                           example=proposal_form.example_pair(chosen),
                           errors=errors or FormErrors(), cat_options=[(c, CATEGORY_WORDS[c]) for c in CATEGORIES],
                           may_create=policy.may(principal, "contract.create"), not_creator=NOT_CREATOR), status


@blp.get("/contracts/new")
def new_contract():
    values = {"vendor_id": request.args.get("vendor_id", ""), "basis": "units"}
    return _new_page(values, proposal_form.from_proposal(None))


@blp.post("/contracts")
def create_contract():
    values = form_data(lists=("items",))
    editor = proposal_form.posted()
    try:
        body = {k: values[k] for k in ("title", "category", "basis", "starts_on", "ends_on") if k in values}
        if "vendor_id" in values:
            body["vendor_id"] = int(values["vendor_id"]) if values["vendor_id"].isdigit() else values["vendor_id"]
        body["items"] = [int(i) if i.isdigit() else i for i in values.get("items", [])]
        body["proposal"] = proposal_form.body_of(editor)
        created = services.create_contract(current_principal(), load(ContractCreateSchema(), body))
    except DomainError as exc:
        found = refusal(exc, (400, 409, 422))
        errors = dict(_json_errors(exc))
        errors.update(errors.pop("proposal", {}) if isinstance(errors.get("proposal"), dict) else {})
        return _new_page(values, editor, proposal_form.editor_errors(found.message, errors), exc.status_code)
    flash(f"Contract {created['id']} is open, with your first proposal sent to the vendor.", "success")
    return redirect(url_for("contract_console.contract", contract_id=created["id"]))


# --- a contract's thread --------------------------------------------------------------------


def thread_page(bp: str, contract_id: int, editor: proposal_form.EditorForm | None = None,
                errors: FormErrors | None = None, status: int = 200, checked: bool = False,
                terminate_errors: FormErrors | None = None, reason: str = "",
                answer_errors: FormErrors | None = None):
    """The thread, the tier editor (from the newest proposal, or as posted) and the
    actions the reader's role may take (and why not, where not)."""
    principal = current_principal()
    view = negotiation.thread(principal, contract_id)
    return render_template(
        "contracts/thread.html" if bp == "contract_console" else "contracts/portal_thread.html",
        view=view, bp=bp, editor=editor or proposal_form.from_proposal(view.latest), errors=errors or FormErrors(),
        checked=checked, example=proposal_form.example_pair(view.items),
        may_negotiate=policy.may(principal, "contract.negotiate"),
        may_terminate=policy.may(principal, "contract.terminate"), not_negotiator=NOT_NEGOTIATOR,
        not_terminator=NOT_TERMINATOR, terminate_errors=terminate_errors or FormErrors(), reason=reason,
        answer_errors=answer_errors or FormErrors(), sides=SIDE_WORDS,
    ), status


def _example(contract_id: int) -> str:
    """The editor's example fixed price on this contract's first item (proposal_form.example_pair)."""
    return proposal_form.example_pair(negotiation.items_of(current_principal(), contract_id))


def check(bp: str, contract_id: int):
    """Every rule the draft breaks, with the API's messages, at the fields: nothing is
    written (422 when it breaks one, 200 when it breaks none)."""
    editor = proposal_form.posted()
    try:
        terms = proposal_form.terms_of(editor, _example(contract_id))
        broken = negotiation.check_counter(current_principal(), contract_id, terms)
    except DomainError as exc:
        found = refusal(exc, (422,))
        return thread_page(bp, contract_id, editor,
                           proposal_form.editor_errors(found.message, _json_errors(exc)),
                           exc.status_code, checked=True)
    if broken:
        count = proposal_form.violation_count(broken)
        message = f"This proposal breaks {count} rule{'' if count == 1 else 's'}: see the fields marked below."
        return thread_page(bp, contract_id, editor, proposal_form.editor_errors(message, broken), 422, checked=True)
    return thread_page(bp, contract_id, editor, checked=True)


def counter(bp: str, contract_id: int):
    editor = proposal_form.posted()
    try:
        proposal = services.counter(current_principal(), contract_id,
                                    proposal_form.terms_of(editor, _example(contract_id)))
    except DomainError as exc:
        found = refusal(exc, (409, 422))
        return thread_page(bp, contract_id, editor,
                           proposal_form.editor_errors(found.message, _json_errors(exc)),
                           exc.status_code)
    flash(f"Counter-proposal {proposal.number} is sent.", "success")
    return redirect(url_for(f"{bp}.contract", contract_id=contract_id))


def answer(bp: str, contract_id: int, number: int, accept: bool):
    try:
        if accept:
            services.accept(current_principal(), contract_id, number)
        else:
            services.reject(current_principal(), contract_id, number)
    except DomainError as exc:
        found = refusal(exc, (409,))
        return thread_page(bp, contract_id, answer_errors=found, status=exc.status_code)
    flash(f"Proposal {number} is accepted: its terms are the contract's." if accept
          else f"Proposal {number} is rejected.", "success")
    return redirect(url_for(f"{bp}.contract", contract_id=contract_id))


@blp.get("/contracts/<int:contract_id>")
def contract(contract_id: int):
    return thread_page("contract_console", contract_id)


@blp.post("/contracts/<int:contract_id>/check")
def check_proposal(contract_id: int):
    return check("contract_console", contract_id)


@blp.post("/contracts/<int:contract_id>/counter")
def counter_proposal(contract_id: int):
    return counter("contract_console", contract_id)


@blp.post("/contracts/<int:contract_id>/proposals/<int:number>/accept")
def accept_proposal(contract_id: int, number: int):
    return answer("contract_console", contract_id, number, accept=True)


@blp.post("/contracts/<int:contract_id>/proposals/<int:number>/reject")
def reject_proposal(contract_id: int, number: int):
    return answer("contract_console", contract_id, number, accept=False)


@blp.post("/contracts/<int:contract_id>/terminate")
def terminate(contract_id: int):
    reason = request.form.get("reason", "").strip()
    try:
        data = load(TerminateSchema(), {"reason": reason} if reason else {})
        services.terminate(current_principal(), contract_id, data["reason"])
    except DomainError as exc:
        found = refusal(exc, (409, 422))
        return thread_page("contract_console", contract_id, terminate_errors=found, status=exc.status_code,
                           reason=reason)
    flash(f"Contract {contract_id} is terminated from today.", "success")
    return redirect(url_for("contract_console.contract", contract_id=contract_id))


def waiting(principal):
    """MSO procurement and admins: the vendors' proposals waiting for an answer (the
    list, or the contract itself when only one waits)."""
    from gpo import web

    count, only = negotiation.waiting_proposals(principal)
    if not count:
        return []
    noun = "proposal" if count == 1 else "proposals"
    url = (url_for("contract_console.contract", contract_id=only) if only is not None
           else url_for("contract_console.contracts"))
    return [web.Waiting(f"{count} {noun} from vendors to answer", url)]
