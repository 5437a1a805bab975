"""The reporting tools: the session-end merge into the report (``report``), root-cause
clusters, bug reports, and the tools over finished runs (``runs``, ``diff``,
``history``, ``dashboard``, the command line). They read and write report files; the
engine (crossref/) runs checks. Only ``report.merge`` imports torch, for its version.
"""
