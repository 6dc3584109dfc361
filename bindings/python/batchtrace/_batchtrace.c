/* The CPython extension under the batchtrace package: Python objects in, the C API
 * (include/batchtrace.h) run with the GIL released, the summary's JSON out. It only builds
 * sources (batchtrace_source): a path, a bytes-like buffer read in place, or an iterator
 * fed to the engine through a callback source that serializes its items (dicts, lists,
 * str or bytes lines) a piece at a time, so a generator of any length runs in bounded
 * memory. Reading, correlating and diagnosing records is the engine's, never this file's.
 * The Python layer (__init__.py) normalizes arguments and picks the parent context. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "batchtrace.h"
#include "json/writer.h"
#include "util/buf.h"

enum {
    PIECE_BYTES = 256 << 10,  /* a callback piece is handed over once it holds this much */
    MAX_DEPTH = 512,          /* deepest nesting serialized (deeper: ValueError) */
};

/* ---- objects to JSON ----------------------------------------------------------------- */

static int encode(buf_t *out, PyObject *obj, int depth);

/* Append a str as a JSON string. 0, or -1 with a Python exception set. */
static int encode_str(buf_t *out, PyObject *text) {
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len);
    if (!utf8) return -1;
    json_escape_string(out, utf8, (size_t)len);
    return 0;
}

/* Append a dict as a JSON object: str keys, int keys as their decimal text (as json.dumps
 * does). 0, or -1 with a Python exception set. */
static int encode_dict(buf_t *out, PyObject *dict, int depth) {
    buf_putc(out, '{');
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    bool first = true;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!first) buf_putc(out, ',');
        first = false;
        if (PyUnicode_Check(key)) {
            if (encode_str(out, key) != 0) return -1;
        } else if (PyLong_Check(key) && !PyBool_Check(key)) {
            PyObject *text = PyLong_Type.tp_repr(key);
            if (!text) return -1;
            int rc = encode_str(out, text);
            Py_DECREF(text);
            if (rc != 0) return -1;
        } else {
            PyErr_Format(PyExc_TypeError, "keys must be str or int, not %.100s",
                         Py_TYPE(key)->tp_name);
            return -1;
        }
        buf_putc(out, ':');
        if (encode(out, value, depth + 1) != 0) return -1;
    }
    buf_putc(out, '}');
    return 0;
}

/* Append a list or tuple as a JSON array. 0, or -1 with a Python exception set. */
static int encode_sequence(buf_t *out, PyObject *seq, int depth) {
    buf_putc(out, '[');
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i) buf_putc(out, ',');
        if (encode(out, items[i], depth + 1) != 0) return -1;
    }
    buf_putc(out, ']');
    return 0;
}

/* Append obj as JSON, as json.dumps(obj, ensure_ascii=False, allow_nan=False,
 * separators=(",", ":")) would: dict, list, tuple, str, int, float, bool and None.
 * 0, or -1 with a Python exception set (TypeError for other types, ValueError for NaN,
 * the infinities and nesting deeper than MAX_DEPTH). */
static int encode(buf_t *out, PyObject *obj, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError, "nested deeper than %d levels", MAX_DEPTH);
        return -1;
    }
    if (obj == Py_None) {
        buf_append(out, "null", 4);
    } else if (obj == Py_True) {
        buf_append(out, "true", 4);
    } else if (obj == Py_False) {
        buf_append(out, "false", 5);
    } else if (PyUnicode_Check(obj)) {
        return encode_str(out, obj);
    } else if (PyDict_Check(obj)) {
        return encode_dict(out, obj, depth);
    } else if (PyList_Check(obj) || PyTuple_Check(obj)) {
        return encode_sequence(out, obj, depth);
    } else if (PyLong_Check(obj)) {
        int overflow = 0;
        long long value = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (value == -1 && PyErr_Occurred()) return -1;
        if (overflow) { /* a big int: its decimal text */
            PyObject *text = PyLong_Type.tp_repr(obj);
            if (!text) return -1;
            Py_ssize_t len;
            const char *digits = PyUnicode_AsUTF8AndSize(text, &len);
            if (digits) buf_append(out, digits, (size_t)len);
            Py_DECREF(text);
            if (!digits) return -1;
        } else {
            buf_printf(out, "%lld", value);
        }
    } else if (PyFloat_Check(obj)) {
        double value = PyFloat_AS_DOUBLE(obj);
        if (!isfinite(value)) {
            PyErr_Format(PyExc_ValueError, "out of range float values are not JSON "
                                           "compliant: %R", obj);
            return -1;
        }
        char *text = PyOS_double_to_string(value, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!text) return -1;
        buf_puts(out, text);
        PyMem_Free(text);
    } else {
        PyErr_Format(PyExc_TypeError, "Object of type %.100s is not JSON serializable",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    return 0;
}

/* dumps(obj) -> bytes: obj as compact JSON (the encoder the sources use). */
static PyObject *py_dumps(PyObject *self, PyObject *obj) {
    buf_t out = BUF_INIT;
    PyObject *result = NULL;
    if (encode(&out, obj, 0) == 0) result = PyBytes_FromStringAndSize(buf_cstr(&out), (Py_ssize_t)out.len);
    buf_free(&out);
    return result;
}

/* ---- sources --------------------------------------------------------------------------- */

/* An iterator fed to the engine by a callback source. */
typedef struct feed {
    PyObject *iterator;     /* owned */
    buf_t piece;            /* the lines handed out last */
    PyObject *error_type;   /* the exception that stopped it (owned), or NULL */
    PyObject *error_value;
    PyObject *error_traceback;
} feed;

/* Append one item of an iterator as a line: bytes as they are, str in UTF-8, anything
 * else as JSON. 0, or -1 with a Python exception set. */
static int append_item(buf_t *out, PyObject *item) {
    if (PyBytes_Check(item)) {
        buf_append(out, PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
    } else if (PyUnicode_Check(item)) {
        Py_ssize_t len;
        const char *utf8 = PyUnicode_AsUTF8AndSize(item, &len);
        if (!utf8) return -1;
        buf_append(out, utf8, (size_t)len);
    } else if (encode(out, item, 0) != 0) {
        return -1;
    }
    buf_putc(out, '\n');
    return 0;
}

/* batchtrace_read_fn over a feed, called with the GIL released: takes it, serializes
 * items until the piece holds PIECE_BYTES or the iterator ends, and gives it back. */
static int feed_read(void *ctx, const char **bytes, size_t *len) {
    feed *f = ctx;
    PyGILState_STATE gil = PyGILState_Ensure();
    buf_clear(&f->piece);
    int rc = 1;
    while (f->piece.len < PIECE_BYTES) {
        PyObject *item = PyIter_Next(f->iterator);
        if (!item) {
            if (PyErr_Occurred()) rc = -1;
            break;
        }
        int appended = append_item(&f->piece, item);
        Py_DECREF(item);
        if (appended != 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0) PyErr_Fetch(&f->error_type, &f->error_value, &f->error_traceback);
    PyGILState_Release(gil);
    if (rc < 0) return -1;
    if (f->piece.len == 0) return 0;
    *bytes = f->piece.data;
    *len = f->piece.len;
    return 1;
}

/* What a batchtrace_source borrows from Python objects while the call runs. */
typedef struct holder {
    batchtrace_source spec;
    PyObject *object;       /* the path or the bytes object (owned), or NULL */
    Py_buffer view;         /* a buffer's bytes (view.obj NULL when unused) */
    feed feed;              /* an iterator's */
} holder;

/* Fill h from a source the Python layer normalized: ("path", str|bytes|PathLike),
 * ("buffer", bytes-like) or ("iter", iterable); messages name it by its role.
 * 0, or -1 with a Python exception set. Release h with holder_release either way. */
static int holder_fill(holder *h, PyObject *source) {
    const char *kind;
    PyObject *value;
    if (!PyArg_ParseTuple(source, "sO", &kind, &value)) return -1;
    if (strcmp(kind, "path") == 0) {
        if (!PyUnicode_FSConverter(value, &h->object)) return -1;
        h->spec.kind = BATCHTRACE_SOURCE_PATH;
        h->spec.path = PyBytes_AS_STRING(h->object);
        return 0;
    }
    if (strcmp(kind, "buffer") == 0) {
        if (PyObject_GetBuffer(value, &h->view, PyBUF_SIMPLE) != 0) return -1;
        h->spec.kind = BATCHTRACE_SOURCE_BUFFER;
        h->spec.bytes = h->view.buf;
        h->spec.len = (size_t)h->view.len;
        return 0;
    }
    if (strcmp(kind, "iter") == 0) {
        h->feed.iterator = PyObject_GetIter(value);
        if (!h->feed.iterator) return -1;
        h->spec.kind = BATCHTRACE_SOURCE_CALLBACK;
        h->spec.read = feed_read;
        h->spec.read_ctx = &h->feed;
        return 0;
    }
    PyErr_Format(PyExc_ValueError, "unknown source kind %s", kind);
    return -1;
}

/* Release what h holds; a zeroed holder is fine. */
static void holder_release(holder *h) {
    Py_CLEAR(h->object);
    if (h->view.obj) PyBuffer_Release(&h->view);
    Py_CLEAR(h->feed.iterator);
    Py_CLEAR(h->feed.error_type);
    Py_CLEAR(h->feed.error_value);
    Py_CLEAR(h->feed.error_traceback);
    buf_free(&h->feed.piece);
}

/* Re-raise the first exception an iterator of holders[0..count) stopped with. Returns
 * true when there was one. */
static bool raise_feed_error(holder *holders, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (holders[i].feed.error_type) {
            feed *f = &holders[i].feed;
            PyErr_Restore(f->error_type, f->error_value, f->error_traceback);
            f->error_type = f->error_value = f->error_traceback = NULL;
            return true;
        }
    return false;
}

/* ---- options ----------------------------------------------------------------------------- */

/* options[key] as UTF-8 (borrowed from the dict's str), or NULL when absent or None.
 * 0, or -1 with a Python exception set (not a str). */
static int option_str(PyObject *options, const char *key, const char **out) {
    *out = NULL;
    PyObject *value = PyDict_GetItemString(options, key);
    if (!value || value == Py_None) return 0;
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", key,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    *out = PyUnicode_AsUTF8(value);
    return *out ? 0 : -1;
}

/* options[key] as a truth value (absent: fallback). */
static int option_flag(PyObject *options, const char *key, int fallback) {
    PyObject *value = PyDict_GetItemString(options, key);
    return value ? PyObject_IsTrue(value) : fallback;
}

/* options[key] as a non-negative integer (absent or None: 0). 0, or -1 with an exception. */
static int option_size(PyObject *options, const char *key, unsigned long long *out) {
    *out = 0;
    PyObject *value = PyDict_GetItemString(options, key);
    if (!value || value == Py_None) return 0;
    *out = PyLong_AsUnsignedLongLong(value);
    return *out == (unsigned long long)-1 && PyErr_Occurred() ? -1 : 0;
}

/* The export options every call shares. */
typedef struct export_options {
    const char *exporter, *output, *endpoint, *protocol, *store, *braintrust_parent;
    unsigned long long max_request_bytes, max_in_flight;
    double export_timeout;
} export_options;

/* Read the export options. 0, or -1 with a Python exception set. */
static int read_export_options(PyObject *options, export_options *out) {
    memset(out, 0, sizeof *out);
    if (option_str(options, "exporter", &out->exporter) != 0 ||
        option_str(options, "output", &out->output) != 0 ||
        option_str(options, "endpoint", &out->endpoint) != 0 ||
        option_str(options, "protocol", &out->protocol) != 0 ||
        option_str(options, "store", &out->store) != 0 ||
        option_str(options, "braintrust_parent", &out->braintrust_parent) != 0 ||
        option_size(options, "max_request_bytes", &out->max_request_bytes) != 0 ||
        option_size(options, "max_in_flight", &out->max_in_flight) != 0)
        return -1;
    PyObject *timeout = PyDict_GetItemString(options, "export_timeout");
    if (timeout && timeout != Py_None) {
        out->export_timeout = PyFloat_AsDouble(timeout);
        if (out->export_timeout == -1.0 && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* The (rc, summary JSON, error message) triple every call returns; takes json (free()d). */
static PyObject *call_result(int rc, char *json) {
    PyObject *result = Py_BuildValue("(iss)", rc, json ? json : "{}", batchtrace_last_error());
    free(json);
    return result;
}

/* ---- the calls ----------------------------------------------------------------------------- */

/* collect(results, requests, batch, options) -> (rc, summary_json, error): results is a
 * list of normalized sources, requests and batch one each or None; options a dict. */
static PyObject *py_collect(PyObject *self, PyObject *args) {
    PyObject *results, *requests, *batch, *options;
    if (!PyArg_ParseTuple(args, "O!OOO!", &PyList_Type, &results, &requests, &batch,
                          &PyDict_Type, &options))
        return NULL;
    size_t results_count = (size_t)PyList_GET_SIZE(results);
    size_t holder_count = results_count + 2;
    holder *holders = PyMem_Calloc(holder_count, sizeof *holders);
    batchtrace_source *results_sources = PyMem_Calloc(results_count + 1, sizeof *results_sources);
    const char **conventions = NULL;
    PyObject *convention_list = NULL;
    PyObject *result = NULL;
    if (!holders || !results_sources) {
        PyErr_NoMemory();
        goto done;
    }
    batchtrace_collect_options o = BATCHTRACE_COLLECT_OPTIONS_INIT;
    for (size_t i = 0; i < results_count; i++) {
        if (holder_fill(&holders[i], PyList_GET_ITEM(results, (Py_ssize_t)i)) != 0) goto done;
        results_sources[i] = holders[i].spec;
    }
    o.results_sources = results_sources;
    o.results_source_count = results_count;
    if (requests != Py_None) {
        if (holder_fill(&holders[results_count], requests) != 0) goto done;
        o.input_source = &holders[results_count].spec;
    }
    if (batch != Py_None) {
        if (holder_fill(&holders[results_count + 1], batch) != 0) goto done;
        o.batch_source = &holders[results_count + 1].spec;
    }
    export_options e;
    unsigned long long max_attribute_bytes;
    if (read_export_options(options, &e) != 0 || option_str(options, "provider", &o.provider) != 0 ||
        option_str(options, "parent", &o.parent) != 0 ||
        option_str(options, "trace_id", &o.trace_id) != 0 ||
        option_str(options, "context", &o.context) != 0 ||
        option_str(options, "batch_id", &o.batch_id) != 0 ||
        option_size(options, "max_attribute_bytes", &max_attribute_bytes) != 0)
        goto done;
    o.exporter = e.exporter;
    o.output_path = e.output;
    o.endpoint = e.endpoint;
    o.protocol = e.protocol;
    o.store = e.store;
    o.braintrust_parent = e.braintrust_parent;
    o.max_request_bytes = e.max_request_bytes;
    o.max_in_flight = (unsigned int)e.max_in_flight;
    o.export_timeout = e.export_timeout;
    o.max_attribute_bytes = (size_t)max_attribute_bytes;
    o.no_content = !option_flag(options, "content", 1);
    o.force = option_flag(options, "force", 0);
    o.truncate_output = option_flag(options, "truncate_output", 0);
    PyObject *names = PyDict_GetItemString(options, "conventions");
    if (names && names != Py_None) {
        convention_list = PySequence_Fast(names, "conventions must be a list of str");
        if (!convention_list) goto done;
        Py_ssize_t count = PySequence_Fast_GET_SIZE(convention_list);
        conventions = PyMem_Calloc((size_t)count + 1, sizeof *conventions);
        if (!conventions) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < count; i++) {
            conventions[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(convention_list, i));
            if (!conventions[i]) goto done;
        }
        o.conventions = conventions;
        o.convention_count = (size_t)count;
    }
    batchtrace_summary *summary = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = batchtrace_collect(&summary, &o);
    Py_END_ALLOW_THREADS
    char *json = batchtrace_summary_json(summary);
    batchtrace_summary_free(summary);
    if (raise_feed_error(holders, holder_count)) {
        free(json);
        goto done;
    }
    result = call_result(rc, json);
done:
    if (holders)
        for (size_t i = 0; i < holder_count; i++) holder_release(&holders[i]);
    PyMem_Free(holders);
    PyMem_Free(results_sources);
    PyMem_Free(conventions);
    Py_XDECREF(convention_list);
    return result;
}

/* start(requests, options) -> (rc, summary_json, error). */
static PyObject *py_start(PyObject *self, PyObject *args) {
    PyObject *requests, *options;
    if (!PyArg_ParseTuple(args, "OO!", &requests, &PyDict_Type, &options)) return NULL;
    holder h;
    memset(&h, 0, sizeof h);
    PyObject *result = NULL;
    batchtrace_start_options o = BATCHTRACE_START_OPTIONS_INIT;
    export_options e;
    if (holder_fill(&h, requests) != 0 || read_export_options(options, &e) != 0 ||
        option_str(options, "provider", &o.provider) != 0 ||
        option_str(options, "parent", &o.parent) != 0 ||
        option_str(options, "batch_id", &o.batch_id) != 0)
        goto done;
    o.input_source = &h.spec;
    o.exporter = e.exporter;
    o.output_path = e.output;
    o.endpoint = e.endpoint;
    o.protocol = e.protocol;
    o.store = e.store;
    o.braintrust_parent = e.braintrust_parent;
    o.max_request_bytes = e.max_request_bytes;
    o.max_in_flight = (unsigned int)e.max_in_flight;
    o.export_timeout = e.export_timeout;
    o.no_keep_inputs = !option_flag(options, "keep_inputs", 1);
    o.truncate_output = option_flag(options, "truncate_output", 0);
    batchtrace_start_summary *summary = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = batchtrace_start(&summary, &o);
    Py_END_ALLOW_THREADS
    char *json = batchtrace_start_summary_json(summary);
    batchtrace_start_summary_free(summary);
    if (raise_feed_error(&h, 1)) {
        free(json);
        goto done;
    }
    result = call_result(rc, json);
done:
    holder_release(&h);
    return result;
}

/* flush(options) -> (rc, summary_json, error). */
static PyObject *py_flush(PyObject *self, PyObject *args) {
    PyObject *options;
    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &options)) return NULL;
    export_options e;
    if (read_export_options(options, &e) != 0) return NULL;
    batchtrace_flush_options o = BATCHTRACE_FLUSH_OPTIONS_INIT;
    o.store = e.store;
    o.endpoint = e.endpoint;
    o.max_request_bytes = e.max_request_bytes;
    o.max_in_flight = (unsigned int)e.max_in_flight;
    o.export_timeout = e.export_timeout;
    o.braintrust_parent = e.braintrust_parent;
    batchtrace_flush_summary *summary = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = batchtrace_flush(&summary, &o);
    Py_END_ALLOW_THREADS
    char *json = batchtrace_flush_summary_json(summary);
    batchtrace_flush_summary_free(summary);
    return call_result(rc, json);
}

/* bind(batch_id, context, options) -> (rc, "{}", error): record the provider's batch id
 * against a context token in the store (batchtrace_bind). */
static PyObject *py_bind(PyObject *self, PyObject *args) {
    const char *batch_id, *context;
    PyObject *options;
    if (!PyArg_ParseTuple(args, "ssO!", &batch_id, &context, &PyDict_Type, &options)) return NULL;
    batchtrace_bind_options o = BATCHTRACE_BIND_OPTIONS_INIT;
    o.batch_id = batch_id;
    o.context = context;
    if (option_str(options, "store", &o.store) != 0) return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = batchtrace_bind(&o);
    Py_END_ALLOW_THREADS
    return call_result(rc, NULL);
}

/* status(options) -> (rc, status_json, error): the batches the store knows (options
 * "store", "batch_id"), read only (batchtrace_status). */
static PyObject *py_status(PyObject *self, PyObject *args) {
    PyObject *options;
    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &options)) return NULL;
    batchtrace_status_options o = BATCHTRACE_STATUS_OPTIONS_INIT;
    if (option_str(options, "store", &o.store) != 0 ||
        option_str(options, "batch_id", &o.batch_id) != 0)
        return NULL;
    batchtrace_status_summary *summary = NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = batchtrace_status(&summary, &o);
    Py_END_ALLOW_THREADS
    char *json = summary ? batchtrace_status_summary_json(summary) : NULL;
    batchtrace_status_summary_free(summary);
    return call_result(rc, json);
}

static PyMethodDef methods[] = {
    {"dumps", py_dumps, METH_O, "dumps(obj) -> bytes: obj as compact JSON."},
    {"collect", py_collect, METH_VARARGS,
     "collect(results, requests, batch, options) -> (rc, summary_json, error)."},
    {"start", py_start, METH_VARARGS, "start(requests, options) -> (rc, summary_json, error)."},
    {"flush", py_flush, METH_VARARGS, "flush(options) -> (rc, summary_json, error)."},
    {"bind", py_bind, METH_VARARGS, "bind(batch_id, context, options) -> (rc, '{}', error)."},
    {"status", py_status, METH_VARARGS, "status(options) -> (rc, status_json, error)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "batchtrace._batchtrace",
    "The C core of batchtrace (use the batchtrace package).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__batchtrace(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddStringConstant(m, "version", batchtrace_version()) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
