#!/bin/sh
# make demo: collect the bundled OpenAI and Anthropic examples with the embedded default
# exporter (no endpoint configured: OTLP/JSON lines in ./batchtrace-spans.jsonl). The file
# exporter appends; --truncate makes each `make demo` start the files afresh. Ends with the
# report of each example, written as an HTML page whose path it prints.
set -eu
batchtrace=${1:-build/batchtrace}
cd "$(dirname "$0")/.."

echo "== OpenAI: examples/openai (input, output and error files, batch object)"
echo "   (no exporter configured: the embedded default, ./batchtrace-spans.jsonl)"
"$batchtrace" collect \
    --input examples/openai/input.jsonl \
    --results examples/openai/output.jsonl \
    --results examples/openai/errors.jsonl \
    --batch examples/openai/batch.json \
    --truncate

echo
echo "== Anthropic: examples/anthropic (create body, results, batch object)"
echo "   (the same file exporter, to a second file so the first is kept)"
"$batchtrace" collect \
    --input examples/anthropic/requests.json \
    --results examples/anthropic/results.jsonl \
    --batch examples/anthropic/batch.json \
    --output batchtrace-anthropic-spans.jsonl \
    --truncate

echo
echo "== The reports: what each batch cost, what failed, how long it took"
"$batchtrace" report \
    --input examples/openai/input.jsonl \
    --results examples/openai/output.jsonl \
    --results examples/openai/errors.jsonl \
    --batch examples/openai/batch.json \
    --html batchtrace-report.html --quiet
"$batchtrace" report \
    --input examples/anthropic/requests.json \
    --results examples/anthropic/results.jsonl \
    --batch examples/anthropic/batch.json \
    --html batchtrace-anthropic-report.html --quiet >/dev/null

echo
echo "The spans are in ./batchtrace-spans.jsonl and ./batchtrace-anthropic-spans.jsonl"
echo "(one OTLP/JSON ExportTraceServiceRequest per line). To send them to a collector or"
echo "a backend instead: OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 $batchtrace collect ..."
echo
echo "The HTML report of the OpenAI example: $(pwd)/batchtrace-report.html"
echo "(and of the Anthropic example: $(pwd)/batchtrace-anthropic-report.html)"
