"""Rendezvous: online friends who want to meet in person."""

import os

# Piccolo finds its engine through PICCOLO_CONF. Point it at the package's own
# configuration so that the installed command works from any directory; the
# repository's root piccolo_conf.py only re-exports it for the `piccolo` CLI.
os.environ.setdefault("PICCOLO_CONF", "rendezvous.piccolo_conf")

__version__ = "0.1.0"
