"""The caseload as six CSV files: their layout (`layout`), the import (`importer`, which
checks each row with `rows` against what `caseload` knows and writes with `writer`) and the
export (`export`)."""
