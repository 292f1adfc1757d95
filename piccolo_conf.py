"""For the `piccolo` CLI inside a checkout; the service itself uses rendezvous.piccolo_conf."""

from rendezvous.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
