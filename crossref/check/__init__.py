"""One check: a call run for real and in fake mode, compared, classified (the oracle, the taxonomy of a finding)."""
