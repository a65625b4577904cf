"""Splitting a single-stage build into a builder and a runtime stage (rule ``multi-stage``):
``bases`` (the runtime-image table), ``facts`` (what the RUNs and the container's command do),
``plan`` (the decision, and the edits)."""
