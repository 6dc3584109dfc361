"""The SDK's sentinels for arguments not given."""


class Omit:
    def __bool__(self):
        return False


class NotGiven:
    def __bool__(self):
        return False


omit = Omit()
not_given = NOT_GIVEN = NotGiven()
