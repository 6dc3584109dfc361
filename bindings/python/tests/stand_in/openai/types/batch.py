"""openai.types.Batch (stand-in)."""

from .._models import BaseModel


class BatchRequestCounts(BaseModel):
    pass


class BatchError(BaseModel):
    pass


class Errors(BaseModel):
    NESTED = {"data": BatchError}


class Batch(BaseModel):
    NESTED = {"request_counts": BatchRequestCounts, "errors": Errors}
