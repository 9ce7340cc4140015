"""Malpractice insurance group program: carriers' programs, enrollments, binding.
Use cases: `programs`, `enrollments`, `binding`; an enrollment's premium at a discount
in `quotes`; pure rules in `premium` and `rules`."""


def register(app) -> None:
    """Programs and enrollments: the routes and pages, who sees them, the binding job."""
    from gpo import features, web
    from gpo.auth import policy
    from gpo.insurance import binding, console_pages, enrollments, pages, portal_pages, programs, routes
    from gpo.insurance.models import Enrollment, InsuranceProgram

    features.add_blueprint(app, routes.blp)
    policy.register_visibility(InsuranceProgram, programs.program_visible)
    policy.register_visibility(Enrollment, enrollments.enrollment_visible)
    binding.BINDING.register(binding.bind_program, on_failed_for_good=binding.back_to_open)
    web.add_pages(app, pages.blp)
    web.add_nav(app, "storefront", "Insurance", "insurance_pages.insurance", order=90)
    web.add_words(app, "program", {"open": "open for enrollment", "binding": "being bound",
                                   "bound": "bound: premiums are final"})
    # the console (MSO staff) and the vendor portal (carriers)
    web.add_pages(app, console_pages.blp)
    web.add_nav(app, "console", "Insurance", "insurance_console.programs_list", order=70)
    web.add_waiting(app, "console", console_pages.waiting, roles=policy.ACTIONS["insurance_program.bind"], order=70)
    web.add_pages(app, portal_pages.blp)
    web.add_nav(app, "portal", "Programs", "insurance_portal.programs_list", order=60, vendor_kinds={"carrier"})
    web.add_waiting(app, "portal", portal_pages.waiting, order=60)
    web.add_words(app, "enrollment", {"active": "enrolled", "cancelled": "cancelled"})
