"""openai.resources.files (stand-in): Files and AsyncFiles with create, content and
retrieve_content as the SDK defines them (keyword-only create; file as FileTypes)."""

import io
import os
import pathlib

from .._legacy_response import HttpxBinaryResponseContent, _Response
from .._types import not_given, omit
from ..types.file_object import FileObject


def _read_file(file):
    """The bytes the SDK uploads for FileTypes: a PathLike, bytes, a file object (read from
    its position) or a (name, content, ...) tuple; and the name."""
    name = None
    if isinstance(file, tuple):
        name, file = file[0], file[1]
    if isinstance(file, os.PathLike):
        path = pathlib.Path(file)
        return path.read_bytes(), name or path.name
    if isinstance(file, bytes):
        return file, name
    if isinstance(file, io.IOBase):
        return file.read(), name or getattr(file, "name", None)
    raise RuntimeError(f"Expected file input {file!r} to be bytes, an io.IOBase instance, "
                       "PathLike or a tuple")


class Files:
    def __init__(self, client):
        self._client = client

    def create(self, *, file, purpose, expires_after=omit, extra_headers=None,
               extra_query=None, extra_body=None, timeout=not_given):
        content, name = _read_file(file)
        return FileObject(**self._client._provider.save_file(content, purpose, name))

    def content(self, file_id, *, extra_headers=None, extra_query=None, extra_body=None,
                timeout=not_given):
        if not file_id:
            raise ValueError(f"Expected a non-empty value for `file_id` but received {file_id!r}")
        return HttpxBinaryResponseContent(_Response(self._client._provider.file_bytes(file_id)))

    def retrieve_content(self, file_id, *, extra_headers=None, extra_query=None,
                         extra_body=None, timeout=not_given):
        return self._client._provider.file_bytes(file_id).decode("utf-8")


class AsyncFiles:
    def __init__(self, client):
        self._client = client

    async def create(self, *, file, purpose, expires_after=omit, extra_headers=None,
                     extra_query=None, extra_body=None, timeout=not_given):
        content, name = _read_file(file)
        return FileObject(**self._client._provider.save_file(content, purpose, name))

    async def content(self, file_id, *, extra_headers=None, extra_query=None, extra_body=None,
                      timeout=not_given):
        return HttpxBinaryResponseContent(_Response(self._client._provider.file_bytes(file_id)))

    async def retrieve_content(self, file_id, *, extra_headers=None, extra_query=None,
                               extra_body=None, timeout=not_given):
        return self._client._provider.file_bytes(file_id).decode("utf-8")
