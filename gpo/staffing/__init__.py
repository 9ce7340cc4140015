"""The shared staffing pool: staff, shift requests, assignments, timesheets, cost runs.
Use cases: `staff` (the pool and availability), `shifts` (requests, booking,
acceptance, release), `timesheets`, `cost_runs`; pure rules in `rules`; the clock
every use case reads in `clock`."""


def register(app) -> None:
    """Staff, shifts, timesheets, cost runs: the routes, the pages and the cost-run job."""
    from gpo import features, web
    from gpo.auth.policy import MSO_ANY, MSO_SCHEDULING
    from gpo.staffing import console_pages, cost_runs, pages, portal_pages, routes
    from gpo.staffing.models import ROLE_WORDS

    features.add_blueprint(app, routes.blp)
    cost_runs.COST_RUN.register(cost_runs.run_month)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Staffing", "staffing_pages.staffing", order=100)
    web.add_pages(app, console_pages.blp)
    web.add_nav(app, "console", "Staffing", "staffing_console.week", roles=MSO_ANY, order=60)
    web.add_waiting(app, "console", console_pages.waiting, roles=MSO_SCHEDULING, order=60)
    web.add_pages(app, portal_pages.blp)
    web.add_nav(app, "portal", "Staff", "staffing_portal.staff", roles={"vendor_admin"}, vendor_kinds={"staffing"},
                order=70)
    web.add_words(app, "shift_request", {"open": "waiting for scheduling", "assigned": "a person is booked",
                                         "accepted": "accepted", "completed": "worked",
                                         "cancelled": "cancelled", "released": "released"})
    web.add_words(app, "assignment", {"assigned": "waiting for your acceptance", "accepted": "accepted",
                                      "completed": "worked", "released": "released", "cancelled": "cancelled"})
    web.add_words(app, "timesheet", {"submitted": "waiting for your approval", "approved": "approved",
                                     "disputed": "disputed: scheduling corrects it"})
    web.add_words(app, "staff_role", {role: label.replace(" (clinical)", "") for role, label in pages.ROLES.items()})
    web.add_words(app, "staff_role_in_sentence", ROLE_WORDS)  # "the free IT technician"
    web.add_words(app, "assignment_console", {"assigned": "waiting for the practice's acceptance",
                                              "accepted": "accepted by the practice", "completed": "worked",
                                              "released": "released", "cancelled": "cancelled"})
    web.add_words(app, "timesheet_console", {"submitted": "waiting for the practice's approval",
                                             "approved": "approved", "disputed": "disputed: record it again"})
    web.add_words(app, "cost_run", {"queued": "running", "finished": "finished",
                                    "failed": "failed (nothing kept): run it again"})
