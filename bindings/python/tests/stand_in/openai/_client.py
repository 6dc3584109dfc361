"""OpenAI and AsyncOpenAI: the clients, with .files and .batches."""

from stand_in_provider import Provider

from .resources.batches import AsyncBatches, Batches
from .resources.files import AsyncFiles, Files


class OpenAI:
    def __init__(self, *, api_key=None, base_url=None, **ignored):
        self._provider = Provider(base_url)
        self.files = Files(self)
        self.batches = Batches(self)


class AsyncOpenAI:
    def __init__(self, *, api_key=None, base_url=None, **ignored):
        self._provider = Provider(base_url)
        self.files = AsyncFiles(self)
        self.batches = AsyncBatches(self)
