"""The YAML front end (`*.pspec.yaml`).

C-event composer, scalars, nodes to model values, and the JSON Schema of the syntax.
"""
