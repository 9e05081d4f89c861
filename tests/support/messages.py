"""Checking that an error says what went wrong: its message holds the fragments a test names."""
import pytest


def raises_mentioning(error, call, fragments):
    """`call()` must raise `error` with every one of `fragments` in its message; returns the
    exception, for further checks."""
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    return info.value
