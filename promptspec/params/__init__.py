"""The parameter tables of the Create-a-prompt API, one per API profile, and the judgments
that read them: the one place that encodes what the API accepts.

The rules, `promptspec rules`, the JSON Schema, value coercion in expansion, the
emulator's validation and the language server all read these tables: `table_for(profile)`
(name -> `Param`: type, bounds, choices, array-ness, nullability, description, source,
requires), `requirements_for(profile)`, and `flags.flags_table()` for the flags `text` may
carry.
"""

from __future__ import annotations

from promptspec.params.checks import (
    check_item,
    check_request,
    check_value,
    coerce,
    did_you_mean,
    is_file,
    kind_text,
    nearest_multiple,
    non_finite,
    requirement_fails,
    type_name,
    video_without_text,
)
from promptspec.params.table import (
    CURRENT_SOURCE,
    DEFAULT_PROFILE,
    FAMILY,
    FIRST_FRAMES,
    PARAMS,
    PROFILES,
    REFERENCE_SOURCE,
    REQUIREMENTS,
    STRIPPED_FIELDS,
    TEMPLATE_FIELDS,
    TUNE,
    Kind,
    Param,
    Profile,
    Requirement,
    requirements_for,
    table_for,
)

__all__ = [
    "CURRENT_SOURCE",
    "DEFAULT_PROFILE",
    "FAMILY",
    "FIRST_FRAMES",
    "PARAMS",
    "PROFILES",
    "REFERENCE_SOURCE",
    "REQUIREMENTS",
    "STRIPPED_FIELDS",
    "TEMPLATE_FIELDS",
    "TUNE",
    "Kind",
    "Param",
    "Profile",
    "Requirement",
    "check_item",
    "check_request",
    "check_value",
    "coerce",
    "did_you_mean",
    "is_file",
    "kind_text",
    "nearest_multiple",
    "non_finite",
    "requirement_fails",
    "requirements_for",
    "table_for",
    "type_name",
    "video_without_text",
]
