"""Refusing access from a view in one way everywhere."""

from flask import abort


def deny():
    """403 for a signed-in user without the right."""
    abort(403)
