"""The DSL front end (`*.pspec`): lark LALR parser, literals, friendly syntax errors."""
