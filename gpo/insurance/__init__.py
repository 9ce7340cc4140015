"""Malpractice insurance group program: carriers' programs, enrollments, binding.
Use cases: `programs`, `enrollments`, `binding`; an enrollment's premium at a discount
in `quotes`; pure rules in `premium` and `rules`."""


def register(app) -> None:
    """Programs and enrollments: the routes, who sees them, the binding job."""
    from gpo import features
    from gpo.auth import policy
    from gpo.insurance import binding, enrollments, programs, routes
    from gpo.insurance.models import Enrollment, InsuranceProgram

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(InsuranceProgram, programs.program_visible)
    policy.register_visibility(Enrollment, enrollments.enrollment_visible)
    binding.BINDING.register(binding.bind_program, on_failed_for_good=binding.back_to_open)
