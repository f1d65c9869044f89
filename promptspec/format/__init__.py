"""`fmt` (the canonical DSL layout) and `convert` (either syntax into the other).

With their writers: DSL layout and text, DSL and YAML output, comments carried across.
"""
