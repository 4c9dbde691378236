"""The caseload as five CSV files: their layout (`layout`), the import (`importer`, which
checks each row with `rows` against what `caseload` knows and writes with `writer`) and the
export (`export`)."""
