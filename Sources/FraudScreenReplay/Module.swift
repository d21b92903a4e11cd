// Corpus replay: metrics, diffs and reports.
