"""Search: YAML spaces, objectives, multi-fidelity, studies."""
