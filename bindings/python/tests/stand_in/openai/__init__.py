"""A stand-in for the openai SDK (not in Debian), for batchtrace's tests: the module paths,
class names, method signatures and return shapes of openai's files and batches resources
(openai.resources.files.Files/AsyncFiles, openai.resources.batches.Batches/AsyncBatches),
over the fake provider of stand_in_provider. Written for these tests; no SDK code is
copied."""

from ._client import AsyncOpenAI, OpenAI
from ._types import NOT_GIVEN, NotGiven, Omit, not_given, omit

__all__ = ["OpenAI", "AsyncOpenAI", "NOT_GIVEN", "NotGiven", "Omit", "not_given", "omit"]
