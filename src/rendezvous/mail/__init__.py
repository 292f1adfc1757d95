"""Telling people by mail: outgoing messages, one-click pages and replies from calendar apps."""
