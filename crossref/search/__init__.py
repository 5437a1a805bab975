"""Driving checks: an item's search over drawn calls, shrinking, the stateful cache sequence."""
