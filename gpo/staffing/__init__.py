"""The shared staffing pool: staff, shift requests, assignments, timesheets, cost runs."""


def register(app) -> None:
    """Staff, shifts, timesheets, cost runs: the routes and the cost-run job."""
    from gpo import features, jobs
    from gpo.staffing import routes, services

    features.add_blueprint(app, routes.blp)
    jobs.register("staffing.cost_run", services.cost_run, on_failure=services.cost_run_failed)
