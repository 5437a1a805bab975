"""Running a session: options, the per-process worker session, crash isolation, the recorder, baselines, failures."""
