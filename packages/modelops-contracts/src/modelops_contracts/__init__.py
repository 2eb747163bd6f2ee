"""modelops-contracts (placeholder until its package lands)."""
