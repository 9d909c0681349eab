"""Errors an author can act on.

The build shows the message of a :class:`ManuscriptError` as it is, without a stack
trace, so each message says what is wrong, where, and what to change.
"""


class ManuscriptError(Exception):
    """A problem in the data, the templates or the config that an author can fix."""


class TemplateProblem(ManuscriptError):
    """A template could not be rendered (unknown key, syntax error, typed number...)."""


class UnknownNumberKey(TemplateProblem):
    """A template asked for a number the registry does not hold."""
