"""The YAML front end (`*.pspec.yaml`).

C-event composer, scalars, nodes to model values (the hot records made by `records`), and
the JSON Schema of the syntax.
"""
