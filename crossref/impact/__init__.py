"""What a finding breaks in a compiled program: one probe, and many probes scheduled over a run."""
