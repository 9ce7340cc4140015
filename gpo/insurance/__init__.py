"""Malpractice insurance group program: carriers' programs, enrollments, binding."""


def register(app) -> None:
    """Programs and enrollments: the routes, who sees them, the binding job."""
    from gpo import features, jobs
    from gpo.auth import policy
    from gpo.insurance import routes, services
    from gpo.insurance.models import Enrollment, InsuranceProgram

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(InsuranceProgram, services.program_visible)
    policy.register_visibility(Enrollment, services.enrollment_visible)
    jobs.register("insurance.bind", services.bind, on_failure=services.binding_failed)
