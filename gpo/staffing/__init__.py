"""The shared staffing pool: staff, shift requests, assignments, timesheets, cost runs.
Use cases: `staff` (the pool and availability), `shifts` (requests, booking,
acceptance, release), `timesheets`, `cost_runs`; pure rules in `rules`; the clock
every use case reads in `clock`."""


def register(app) -> None:
    """Staff, shifts, timesheets, cost runs: the routes and the cost-run job."""
    from gpo import features
    from gpo.staffing import cost_runs, routes

    features.add_blueprint(app, routes.blp)
    cost_runs.COST_RUN.register(cost_runs.run_month)
