"""A stand-in for the anthropic SDK (not in Debian), for batchtrace's tests: the module paths,
class names, method signatures and return shapes of anthropic's message batches
(anthropic.resources.messages.batches and anthropic.resources.beta.messages.batches,
Batches/AsyncBatches; results as a JSONLDecoder that reads the body lazily, once), over the
fake provider of stand_in_provider. Written for these tests; no SDK code is copied."""

from ._client import Anthropic, AsyncAnthropic
from ._types import NOT_GIVEN, NotGiven, Omit, not_given, omit

__all__ = ["Anthropic", "AsyncAnthropic", "NOT_GIVEN", "NotGiven", "Omit", "not_given", "omit"]
