"""One-line instrumentation of the openai and anthropic SDKs' batch calls.

    import batchtrace
    batchtrace.instrument()          # or instrument_openai(), instrument_anthropic()

The SDK classes' methods are wrapped (sync and async, as the SDKs define them); each wrapper
calls the SDK unchanged and returns exactly what it returned. Around the call it only feeds
the existing entry points (start, bind, collect) with what passed by: the requests a batch
was created with, the batch objects, the bytes of the result files as downloaded. Records
are never parsed here: the C library reads them from buffers and callback sources.

This module owns what is common to both SDKs: the options, the patching and its undoing,
the background jobs (collects run off the caller's thread, in order, and are waited for at
exit), the results taps that hand streamed lines to a collect as they are yielded, and the
rule that an instrumentation failure is logged once on logger "batchtrace" and never raised.
The SDK-specific hooks are in _instrument_openai.py and _instrument_anthropic.py.
"""

import asyncio
import atexit
import collections
import contextvars
import functools
import gc
import inspect
import json
import logging
import queue
import threading

logger = logging.getLogger("batchtrace")

_ORIGINAL = "__batchtrace_original__"  # a wrapper's attribute: the method it wraps

_lock = threading.RLock()
_options = {}          # export options given to instrument(), passed to every call
_patched = {}          # sdk name -> [(class, method name)] wrapped
_logged = set()        # the failures already logged at WARNING


def options():
    """The export options of the instrumentation, as start/collect keywords."""
    with _lock:
        return dict(_options)


def failed(where, error):
    """Log an instrumentation failure: at WARNING the first time for where, at DEBUG after.
    Never raises."""
    try:
        with _lock:
            first = where not in _logged
            _logged.add(where)
        level = logging.WARNING if first else logging.DEBUG
        logger.log(level, "batchtrace: %s failed (%s: %s); the SDK call goes on untraced",
                   where, type(error).__name__, error, exc_info=first)
    except Exception:  # logging itself must not break the caller either
        pass


def notice_once(key, message, *args):
    """Log something the caller should know (not a failure) once, at WARNING."""
    with _lock:
        if key in _logged:
            return
        _logged.add(key)
    logger.warning(message, *args)


def safely(where, function, *args):
    """function(*args), or None when it raised (logged by failed)."""
    try:
        return function(*args)
    except Exception as error:
        failed(where, error)
        return None


def summary_logged(where, summary):
    """Log a start or collect summary: DEBUG, or WARNING (once per where) when spans were
    not delivered (exit 5: spooled, batchtrace flush sends them) or the run failed."""
    code = summary.get("exit_code", 0) if isinstance(summary, dict) else 0
    if code in (1, 5):
        notice_once(f"{where}:{code}", "batchtrace: %s exited %d: %s", where, code,
                    "spans spooled; run batchtrace flush" if code == 5 else summary)
    else:
        logger.debug("batchtrace: %s: %s", where, summary)


def wire(model):
    """A pydantic model of the SDKs as the JSON the API sent: by alias, only the fields the
    response set (the SDKs' to_dict(mode="json") is exactly model_dump(mode="json",
    by_alias=True, exclude_unset=True)). A dict stays as it is."""
    if isinstance(model, dict):
        return model
    to_dict = getattr(model, "to_dict", None)
    if to_dict is not None:
        try:
            return to_dict(mode="json")
        except TypeError:
            pass
    dump = getattr(model, "model_dump", None)
    if dump is not None:
        return dump(mode="json", by_alias=True, exclude_unset=True)
    return json.loads(model.json(by_alias=True, exclude_unset=True))  # pydantic 1


def batch_wire(batch, status_field):
    """(wire JSON, id) of an SDK batch object (one with id and status_field), or (None,
    None) for anything else (a raw or streamed response)."""
    if not hasattr(batch, "id") or not hasattr(batch, status_field):
        return None, None
    data = wire(batch)
    batch_id = data.get("id")
    return (data, batch_id) if isinstance(batch_id, str) else (None, None)


def jsonable(value):
    """json.dumps's default= for request params that hold SDK models or dates."""
    if hasattr(value, "model_dump") or hasattr(value, "to_dict"):
        return wire(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# ---- patching ------------------------------------------------------------------------------

_signatures = {}


def arguments(original, instance, args, kwargs):
    """The call's arguments by parameter name (defaults not filled in), or None when they
    do not fit the method (the SDK then raises its own TypeError: not ours to report)."""
    signature = _signatures.get(original)
    if signature is None:
        signature = _signatures[original] = inspect.signature(original)
    try:
        return signature.bind_partial(instance, *args, **kwargs).arguments
    except TypeError:
        return None


def wrap(original, where, before, after):
    """A wrapper of an SDK method (a coroutine function stays one): before(instance,
    arguments) may return (state, kwargs to call with); after(state, arguments, result)
    observes the result. Either failing is logged and the call goes on as if
    uninstrumented; the result is returned unchanged."""

    def prepare(instance, args, kwargs):
        state, call_kwargs = None, kwargs
        named = arguments(original, instance, args, kwargs)
        if before is not None and named is not None:
            prepared = safely(where, lambda: before(instance, named))
            if prepared is not None:
                state, changes = prepared
                call_kwargs = dict(kwargs, **changes) if changes else kwargs
        return state, call_kwargs

    def observe(instance, args, kwargs, state, result):
        named = arguments(original, instance, args, kwargs)
        if named is not None:
            safely(where, lambda: after(state, named, result))

    async def prepare_off_loop(instance, args, kwargs):
        # before may call the C library (start): off the event loop, in the same context
        try:
            run = functools.partial(contextvars.copy_context().run, prepare, instance, args,
                                    kwargs)
            return await asyncio.get_running_loop().run_in_executor(None, run)
        except Exception as error:  # no executor (the loop shutting down, ...)
            failed(where, error)
            return None, kwargs

    if inspect.iscoroutinefunction(original):
        @functools.wraps(original)
        async def wrapper(self, *args, **kwargs):
            if before is None:
                state, call_kwargs = None, kwargs
            else:
                state, call_kwargs = await prepare_off_loop(self, args, kwargs)
            result = await original(self, *args, **call_kwargs)
            observe(self, args, kwargs, state, result)
            return result
    else:
        @functools.wraps(original)
        def wrapper(self, *args, **kwargs):
            state, call_kwargs = prepare(self, args, kwargs)
            result = original(self, *args, **call_kwargs)
            observe(self, args, kwargs, state, result)
            return result
    setattr(wrapper, _ORIGINAL, original)
    return wrapper


def patch(sdk, hooks):
    """Wrap each (module, class name, method name, before, after) of hooks whose class the
    installed SDK has; once only (a method already wrapped is left). True when something is
    wrapped."""
    import importlib
    with _lock:
        done = _patched.setdefault(sdk, [])
        for module_name, class_name, method, before, after in hooks:
            try:
                cls = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError):
                continue  # an SDK version without this class
            current = cls.__dict__.get(method)
            if current is None or hasattr(current, _ORIGINAL):
                continue
            where = f"{sdk} {class_name}.{method}"
            setattr(cls, method, wrap(current, where, before, after))
            done.append((cls, method))
        return bool(done)


def unpatch(sdk):
    """Put back every method patch wrapped for sdk."""
    with _lock:
        for cls, method in _patched.pop(sdk, []):
            current = cls.__dict__.get(method)
            if current is not None and hasattr(current, _ORIGINAL):
                setattr(cls, method, getattr(current, _ORIGINAL))


# ---- background jobs -----------------------------------------------------------------------

class _Jobs:
    """Calls into the C library made off the caller's thread, one at a time in the order
    they were submitted (a start before the collects of its batch; two downloads of one
    batch in turn), by one daemon thread started on demand. Waited for at exit."""

    def __init__(self):
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._taps = set()         # results taps whose collect thread may still run
        self._batch_locks = {}     # (provider, batch id) -> threading.Lock

    def submit(self, where, function):
        """Run function later on the jobs' thread; a failure is logged, never raised."""
        with _lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="batchtrace-jobs",
                                                daemon=True)
                self._thread.start()
        self._queue.put((where, function))

    def _run(self):
        while True:
            where, function = self._queue.get()
            safely(where, function)

    def barrier(self):
        """An event set once every job submitted so far has run."""
        done = threading.Event()
        self.submit("wait", done.set)
        return done

    def add_tap(self, tap):
        """Keep tap until its collect has run; returns the open taps of the same batch."""
        with _lock:
            older = [t for t in self._taps if not t.closed and t.batch_id == tap.batch_id
                     and t.provider == tap.provider]
            self._taps.add(tap)
        return older

    def batch_lock(self, provider, batch_id):
        """The lock that keeps two collects of one batch from running their engines at
        once (they would hold each other's items and neither would finish the task)."""
        with _lock:
            return self._batch_locks.setdefault((provider, batch_id), threading.Lock())

    def wait(self, timeout=None, close_taps=False):
        """Wait for the jobs submitted so far and the collects of closed taps (close_taps:
        close every tap first, as a partial iteration). True when all finished in time."""
        with _lock:
            if self._thread is None and not self._taps:
                return True  # nothing was ever submitted (batchtrace imported, not used)
        gc.collect()  # results iterators dropped in a reference cycle close now
        with _lock:
            taps = list(self._taps)
        if close_taps:
            for tap in taps:
                tap.close(complete=False)
        finished = self.barrier().wait(timeout)
        for tap in taps:
            if tap.closed:
                finished = tap.join(timeout) and finished
                if not tap.running():
                    with _lock:
                        self._taps.discard(tap)
        return finished


jobs = _Jobs()


def wait(timeout=None):
    """Wait until the instrumentation's background work (starts of Anthropic batches,
    collects of downloaded results) has finished; True when it did within timeout seconds.
    It also runs at exit, so a script needs it only to read the spans itself."""
    return jobs.wait(timeout)


@atexit.register
def _at_exit():
    """At exit: results iterations left unfinished are collected as far as they went, and
    the background work is waited for (the exporter's own timeout bounds it)."""
    jobs.wait(close_taps=True)


# ---- results taps ----------------------------------------------------------------------------

_END = object()
_PARTIAL = object()


class Abandoned(Exception):
    """The iteration stopped early and a partial collect could not be told apart from a
    whole one (the store keeps no inputs for the batch): nothing is collected."""


class ResultsTap:
    """Hands a streamed results file to one collect, line by line, as the SDK yields the
    items: raw() mirrors the SDK's line cutting on the raw chunks (no parsing), each
    yielded item releases its line to the collect's callback source, read by a thread of
    its own. The iteration's end finishes the collect; an early stop (break, an exception,
    the iterator dropped, the process exiting) collects the lines seen, only when the store
    holds the batch's inputs (then the unseen items stay pending and the task open), else
    nothing."""

    def __init__(self, provider, batch_id, batch, parent, where):
        self.provider, self.batch_id, self.batch, self.parent = provider, batch_id, batch, parent
        self.where = where
        self.closed = False
        self._buffer = b""                       # a line cut so far, not ended
        self._lines = collections.deque()         # lines cut, their items not yet yielded
        self._queue = queue.SimpleQueue()         # lines released, for the collect
        self._thread = None
        self._after = jobs.barrier()              # the jobs before it (its batch's start)
        self._engine_lock = None                  # held from the end of the lines to the
                                                  # collect's return
        for older in jobs.add_tap(self):
            # A new iteration of the same results: an older one left unfinished was
            # abandoned; collect what it saw now rather than whenever it is dropped.
            older.close(complete=False)

    def raw(self, chunk):
        """A raw chunk of the response: cut into lines exactly as the SDK's JSONL decoder
        cuts them (splitlines, a line ends at \\r, \\n or \\r\\n)."""
        for piece in chunk.splitlines(keepends=True):
            self._buffer += piece
            if self._buffer.endswith((b"\r", b"\n")):
                self._lines.append(self._buffer)
                self._buffer = b""

    def raw_end(self):
        """The response ended: a last line without a newline is a line too."""
        if self._buffer:
            self._lines.append(self._buffer)
            self._buffer = b""

    def item(self):
        """The SDK yields an item: release its line to the collect."""
        if self._lines and not self.closed:
            self._start()
            self._queue.put(self._lines.popleft())

    def close(self, complete):
        """The iteration ended (complete) or stopped early. Idempotent."""
        with _lock:
            if self.closed:
                return
            self.closed = True
        if self._thread is None and not complete:
            return  # nothing was yielded: nothing to collect
        self._start()
        self._queue.put(_END if complete else _PARTIAL)

    def join(self, timeout=None):
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running()

    def running(self):
        return self._thread is not None and self._thread.is_alive()

    def _start(self):
        with _lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="batchtrace-results",
                                                daemon=True)
                self._thread.start()

    def _released(self):
        """The callback source's items: the released lines until the end. At the end it
        takes the batch's engine lock, which _run gives back once collect returned."""
        while True:
            line = self._queue.get()
            if line is _END or line is _PARTIAL:
                break
            yield line.rstrip(b"\r\n")  # the source ends each item's line itself
        if line is _PARTIAL and not inputs_kept(self.batch_id):
            raise Abandoned()
        self._engine_lock = jobs.batch_lock(self.provider, self.batch_id)
        self._engine_lock.acquire()

    def _run(self):
        self._after.wait()
        from . import _collect_sources
        try:
            summary = _collect_sources(
                [("iter", self._released())], context=None, batch=self.batch, requests=None,
                trace_id=None, batch_id=self.batch_id, provider=self.provider,
                parent=self.parent, force=False, max_attribute_bytes=None, **collect_options())
            summary_logged(self.where, summary)
        except Abandoned:
            logger.debug("batchtrace: %s: iteration stopped early and the store keeps no "
                         "inputs for batch %s: nothing collected", self.where, self.batch_id)
        except Exception as error:
            failed(self.where, error)
        finally:
            if self._engine_lock is not None:
                self._engine_lock.release()


def tapped_raw(tap, chunks):
    """The raw chunks, each shown to the tap first."""
    for chunk in chunks:
        safely(tap.where, tap.raw, chunk)
        yield chunk
    safely(tap.where, tap.raw_end)


def tapped_items(tap, items):
    """The SDK's items, unchanged; each releases its line; the end (or an early stop)
    closes the tap."""
    complete = False
    try:
        for item in items:
            safely(tap.where, tap.item)
            yield item
        complete = True
    finally:
        safely(tap.where, tap.close, complete)


async def async_tapped_raw(tap, chunks):
    """tapped_raw over an async iterator."""
    async for chunk in chunks:
        safely(tap.where, tap.raw, chunk)
        yield chunk
    safely(tap.where, tap.raw_end)


async def async_tapped_items(tap, items):
    """tapped_items over an async iterator."""
    complete = False
    try:
        async for item in items:
            safely(tap.where, tap.item)
            yield item
        complete = True
    finally:
        safely(tap.where, tap.close, complete)


def tap_decoder(decoder, where, make_tap, is_async):
    """Install a tap (make_tap()) in an SDK JSONL decoder (the object results() returns,
    kept as it is): its raw byte iterator and its item iterator are wrapped before anything
    was read. Another object (a raw or streamed response) is left alone."""
    if not (hasattr(decoder, "_raw_iterator") and hasattr(decoder, "_iterator")):
        logger.debug("batchtrace: %s returned a %s, not a JSONL decoder: not traced", where,
                     type(decoder).__name__)
        return
    tap = make_tap()
    if is_async:
        decoder._raw_iterator = async_tapped_raw(tap, decoder._raw_iterator)
        decoder._iterator = async_tapped_items(tap, decoder._iterator)
    else:
        decoder._raw_iterator = tapped_raw(tap, decoder._raw_iterator)
        decoder._iterator = tapped_items(tap, decoder._iterator)


def inputs_kept(batch_id):
    """Whether the store knows batch_id with a copy of its inputs (then a collect of part of
    its results leaves the rest pending instead of taking the part for the whole)."""
    from . import status
    if not batch_id:
        return False
    found = status(batch_id=batch_id, store=options().get("store"))
    return any(b.get("batch_id") == batch_id and b.get("inputs_kept")
               for b in found.get("batches", []))


def collect_options():
    """The instrumentation's options that collect takes."""
    opts = options()
    chosen = {key: opts.get(key) for key in ("exporter", "output", "endpoint", "protocol",
                                             "convention", "store", "export_timeout")}
    chosen["content"] = opts.get("content", True)
    return chosen


def start_options():
    """The instrumentation's options that start takes."""
    opts = options()
    chosen = {key: opts.get(key) for key in ("exporter", "output", "endpoint", "protocol",
                                             "store", "export_timeout")}
    chosen["keep_inputs"] = opts.get("keep_inputs", True)
    return chosen


def active_parent():
    """The caller's active OpenTelemetry span as a traceparent (captured on the caller's
    thread: the background jobs have no active span), or None."""
    from . import _active_traceparent
    return _active_traceparent()


# ---- the entry points ------------------------------------------------------------------------

def _set_options(**chosen):
    """Keep the options of the last instrument call."""
    if chosen.get("store") is not None:
        chosen["store"] = str(chosen["store"])
    with _lock:
        _options.clear()
        _options.update(chosen)


def instrument_openai(**options):
    """Trace the openai SDK's batches: files.create(purpose="batch") keeps the requests,
    batches.create starts the batch (adding batchtrace_ctx to metadata when it has room),
    batches.retrieve/cancel see the batch objects, files.content of an output or error file
    collects it. Sync and async. False when openai is not importable. Idempotent. Options
    as instrument()."""
    return _instrument_sdk("openai", "_instrument_openai", **options)


def instrument_anthropic(**options):
    """Trace the anthropic SDK's message batches (and the beta ones): create starts the batch
    under its id, retrieve/cancel see the batch objects, results hands each line to a collect
    as it is yielded. Sync and async. False when anthropic is not importable. Idempotent.
    Options as instrument()."""
    return _instrument_sdk("anthropic", "_instrument_anthropic", **options)


def _instrument_sdk(sdk, hooks_module, *, exporter=None, output=None, endpoint=None,
                    protocol=None, store=None, convention=None, content=True,
                    keep_inputs=True, export_timeout=None):
    """Patch sdk with the hooks of hooks_module when sdk is importable; keep the options."""
    import importlib
    try:
        importlib.import_module(sdk)
    except ImportError:
        return False
    hooks = importlib.import_module(f"{__package__}.{hooks_module}").hooks()
    _set_options(exporter=exporter, output=output, endpoint=endpoint, protocol=protocol,
                 store=store, convention=convention, content=content,
                 keep_inputs=keep_inputs, export_timeout=export_timeout)
    return patch(sdk, hooks)


def instrument(**options):
    """Trace the batch calls of every SDK that is importable (openai, anthropic); the
    options (exporter, output, endpoint, protocol, store, convention, content, keep_inputs,
    export_timeout) apply to every span it exports. Returns the names of the SDKs
    instrumented."""
    done = []
    if instrument_openai(**options):
        done.append("openai")
    if instrument_anthropic(**options):
        done.append("anthropic")
    return done


def uninstrument():
    """Put every SDK method back as it was. Idempotent."""
    unpatch("openai")
    unpatch("anthropic")


_instrumentor = []  # the class, made once


def instrumentor_class():
    """BatchtraceInstrumentor: instrument()/uninstrument() in OpenTelemetry's instrumentor
    form (a BaseInstrumentor when opentelemetry-instrumentation is installed). ImportError
    when opentelemetry is not importable."""
    import opentelemetry  # noqa: F401  (the point: only with OpenTelemetry)
    with _lock:
        if not _instrumentor:
            _instrumentor.append(_make_instrumentor())
        return _instrumentor[0]


def _make_instrumentor():
    """The BatchtraceInstrumentor class."""
    try:
        from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
    except ImportError:
        BaseInstrumentor = None

    if BaseInstrumentor is not None:
        class BatchtraceInstrumentor(BaseInstrumentor):
            """Traces the openai and anthropic SDKs' batch calls (batchtrace.instrument)."""

            def instrumentation_dependencies(self):
                return ()

            def _instrument(self, **options):
                instrument(**options)

            def _uninstrument(self, **options):
                uninstrument()
    else:
        class BatchtraceInstrumentor:
            """Traces the openai and anthropic SDKs' batch calls (batchtrace.instrument), with
            the methods of OpenTelemetry's BaseInstrumentor."""
            _is_instrumented_by_opentelemetry = False

            @property
            def is_instrumented_by_opentelemetry(self):
                return BatchtraceInstrumentor._is_instrumented_by_opentelemetry

            def instrumentation_dependencies(self):
                return ()

            def instrument(self, **options):
                if not BatchtraceInstrumentor._is_instrumented_by_opentelemetry:
                    instrument(**options)
                    BatchtraceInstrumentor._is_instrumented_by_opentelemetry = True

            def uninstrument(self, **options):
                if BatchtraceInstrumentor._is_instrumented_by_opentelemetry:
                    uninstrument()
                    BatchtraceInstrumentor._is_instrumented_by_opentelemetry = False
    return BatchtraceInstrumentor
