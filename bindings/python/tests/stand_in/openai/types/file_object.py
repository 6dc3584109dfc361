"""openai.types.FileObject (stand-in)."""

from .._models import BaseModel


class FileObject(BaseModel):
    pass
