"""The README's "Testing your code" example, run as it is printed there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_example() -> str:
    section = README.read_text().split("## Testing your code with", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, "the README's testing section has no Python example"
    return match.group(1)


@pytest.mark.django_db
def test_the_readme_testing_example_passes(client, django_user_model, zoho_tokens_settings):
    namespace: dict[str, object] = {}
    exec(compile(readme_example(), str(README), "exec"), namespace)
    test = namespace["test_connect_stores_a_token"]

    test(client, django_user_model, zoho_tokens_settings)  # type: ignore[operator]
