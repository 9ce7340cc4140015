"""What the console reads of the purchasing calendar: the cycles with their close jobs,
and one cycle with its close job's progress, the close's summary and the results per
contract (the same figures as GET /cycles/{id}/results). Reads only, through the same
rules as `cycles` (`cycle.read`; a job as `gpo.jobs.get_job` allows it)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from gpo.accounts.models import Organization
from gpo.auth.principal import Principal
from gpo.db import db
from gpo.errors import Forbidden
from gpo.jobs import Job, get_job
from gpo.orders.cycles import CycleResult, cycle_results, get_cycle, list_cycles
from gpo.orders.models import Cycle


def open_cycle_now() -> Cycle | None:
    """The cycle open now, if one is (at most one is): the calendar is everyone's."""
    return db.session.scalars(select(Cycle).where(Cycle.status == "open")).first()


@dataclass
class CyclesPage:
    """A page of cycles, newest first, with each one's close job (None before it is asked)."""

    items: list[Cycle]
    total: int
    jobs: dict[int, Job]


def cycles_page(principal: Principal, status: str | None, page: int, page_size: int) -> CyclesPage:
    result = list_cycles(principal, status, page, page_size)
    job_ids = [c.close_job_id for c in result.items if c.close_job_id is not None]
    jobs = {j.id: j for j in db.session.scalars(select(Job).where(Job.id.in_(job_ids)))} if job_ids else {}
    return CyclesPage(items=result.items, total=result.total, jobs=jobs)


@dataclass
class CycleView:
    """One cycle as the console shows it.

    `job` is its close job when the reader may follow it (whoever asked for the close,
    or an admin: `gpo.jobs.get_job`); `close_asked` says a close was asked for either
    way. `results` per contract once it is closed, with the vendors' names."""

    cycle: Cycle
    job: Job | None
    close_asked: bool
    results: list[CycleResult] = field(default_factory=list)
    vendor_names: dict[int, str] = field(default_factory=dict)

    @property
    def list_cents(self) -> int:
        return sum(r.list_cents for r in self.results)

    @property
    def paid_cents(self) -> int:
        return sum(r.paid_cents for r in self.results)

    @property
    def savings_cents(self) -> int:
        return sum(r.savings_cents for r in self.results)


def cycle_page(principal: Principal, cycle_id: int) -> CycleView:
    """The cycle (404 if there is none), its close job and, once closed, its results."""
    cycle = get_cycle(principal, cycle_id)
    job = None
    if cycle.close_job_id is not None:
        try:
            job = get_job(principal, cycle.close_job_id)
        except Forbidden:
            job = None  # someone else's close: the cycle's own status still says where it is
    view = CycleView(cycle=cycle, job=job, close_asked=cycle.close_job_id is not None)
    if cycle.status == "closed":
        view.results = cycle_results(principal, cycle.id)
        vendor_ids = {r.vendor_id for r in view.results}
        if vendor_ids:
            view.vendor_names = dict(db.session.execute(
                select(Organization.id, Organization.name).where(Organization.id.in_(vendor_ids))).all())
    return view
