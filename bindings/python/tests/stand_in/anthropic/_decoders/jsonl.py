"""JSONLDecoder and AsyncJSONLDecoder (stand-in): an iterator over a response body read
lazily in small chunks, one model per line, as the SDK's decoders behave: a line ends at
\\r, \\n or \\r\\n (bytes.splitlines), a last line needs no newline; the body can be read once.
Attributes as the SDK's: http_response, _raw_iterator, _line_type, _iterator."""

import json


class _Response:
    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True

    async def aclose(self):
        self.closed = True


def _model(line_type, line):
    return line_type.construct(**json.loads(line))


class JSONLDecoder:
    def __init__(self, *, raw_iterator, line_type, http_response):
        self.http_response = http_response
        self._raw_iterator = raw_iterator
        self._line_type = line_type
        self._iterator = self._lines()

    def close(self):
        self.http_response.close()

    def _lines(self):
        pending = b""
        for chunk in self._raw_iterator:
            for part in chunk.splitlines(keepends=True):
                pending += part
                if pending.endswith((b"\r", b"\n")):
                    yield _model(self._line_type, pending)
                    pending = b""
        if pending:
            yield _model(self._line_type, pending)

    def __next__(self):
        return self._iterator.__next__()

    def __iter__(self):
        for item in self._iterator:
            yield item


class AsyncJSONLDecoder:
    def __init__(self, *, raw_iterator, line_type, http_response):
        self.http_response = http_response
        self._raw_iterator = raw_iterator
        self._line_type = line_type
        self._iterator = self._lines()

    async def close(self):
        await self.http_response.aclose()

    async def _lines(self):
        pending = b""
        async for chunk in self._raw_iterator:
            for part in chunk.splitlines(keepends=True):
                pending += part
                if pending.endswith((b"\r", b"\n")):
                    yield _model(self._line_type, pending)
                    pending = b""
        if pending:
            yield _model(self._line_type, pending)

    async def __anext__(self):
        return await self._iterator.__anext__()

    async def __aiter__(self):
        async for item in self._iterator:
            yield item
