"""Anthropic and AsyncAnthropic: .messages.batches and .beta.messages.batches."""

from stand_in_provider import Provider

from .resources.beta.messages import batches as beta_batches
from .resources.messages import batches


class _Namespace:
    def __init__(self, **members):
        self.__dict__.update(members)


class Anthropic:
    def __init__(self, *, api_key=None, base_url=None, **ignored):
        self._provider = Provider(base_url)
        self.messages = _Namespace(batches=batches.Batches(self))
        self.beta = _Namespace(messages=_Namespace(batches=beta_batches.Batches(self)))


class AsyncAnthropic:
    def __init__(self, *, api_key=None, base_url=None, **ignored):
        self._provider = Provider(base_url)
        self.messages = _Namespace(batches=batches.AsyncBatches(self))
        self.beta = _Namespace(messages=_Namespace(batches=beta_batches.AsyncBatches(self)))
