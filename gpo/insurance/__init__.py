"""Malpractice insurance group program: carriers' programs, enrollments, binding.
Use cases: `programs`, `enrollments`, `binding`; an enrollment's premium at a discount
in `quotes`; pure rules in `premium` and `rules`."""


def register(app) -> None:
    """Programs and enrollments: the routes and pages, who sees them, the binding job."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.insurance import binding, enrollments, pages, programs, routes
    from gpo.insurance.models import Enrollment, InsuranceProgram

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(InsuranceProgram, programs.program_visible)
    policy.register_visibility(Enrollment, enrollments.enrollment_visible)
    binding.BINDING.register(binding.bind_program, on_failed_for_good=binding.back_to_open)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Insurance", "insurance_pages.insurance", order=90)
    web.add_words(app, "program", {"open": "open for enrollment", "binding": "being bound",
                                   "bound": "bound: premiums are final"})
    web.add_words(app, "enrollment", {"active": "enrolled", "cancelled": "cancelled"})
