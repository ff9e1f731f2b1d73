#!/bin/sh
# The README's test command, `npm test`: the unit, integration and browser tests with v8 coverage
# (its summary printed even when a test fails), then the hostile-input suite on its own, without
# coverage. Coverage keeps every function V8 compiles alive, ajv's validators of callers' schemas
# among them, and the suite's memory test weighs the heap: under coverage it would weigh the
# coverage. Both runs always run; the command fails when either does. Arguments (a file,
# -t NAME) go to both, and a run they leave without tests passes.
vitest run --coverage --passWithNoTests --project unit --project integration --project e2e "$@"
covered=$?
vitest run --passWithNoTests --project hostile "$@"
hostile=$?
[ "$covered" -eq 0 ] && [ "$hostile" -eq 0 ]
