"""The gateway's pure rules: who may do what, on which data, and who sees which field."""
