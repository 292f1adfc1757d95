"""The small HTML pages behind one-click links: a confirmation with a button, the outcome, and
"this link doesn't work". Rendering only; what a button does is the services' business."""

from __future__ import annotations

from rendezvous.mail.messages import environment


def render(template: str, **context: object) -> str:
    """Page `template` ("confirm.html", "outcome.html", "not_found.html") with `context`,
    member-written text escaped."""
    name = template if template.startswith("pages/") else f"pages/{template}"
    return environment().get_template(name).render(context)
