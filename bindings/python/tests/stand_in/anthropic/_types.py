"""The SDK's sentinels for arguments not given (stand-in)."""

from stand_in_provider import NotGiven, Omit

omit = Omit()
not_given = NOT_GIVEN = NotGiven()
