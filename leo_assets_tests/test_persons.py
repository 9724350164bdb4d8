"""Person resolution: ids do not depend on source row order.

The rules (one person per ae_id, rules for the rest) are cases in
``sql/marts/person_lookup.cases.yml``, run by test_model_cases.py; this test shuffles that file's
source rows.
"""

import random

from leo_assets.resources import WorkspaceDatabase
from leo_assets_tests.helpers import REAL_SQL, build_tables, settings_for, write_sources
from leo_assets_tests.model_cases import all_source_rows

CASES = REAL_SQL / "marts" / "person_lookup.cases.yml"


def test_same_sources_in_another_order_give_identical_ids(tmp_path):
    first = tmp_path / "a"
    second = tmp_path / "b"
    outputs = []
    for root, seed in ((first, 1), (second, 2)):
        settings = settings_for(root)
        rows = all_source_rows(CASES, settings)
        for view_rows in rows.values():
            random.Random(seed).shuffle(view_rows)
        write_sources(settings, rows)
        build_tables(settings, ["person_lookup"])
        db = WorkspaceDatabase.from_settings(settings)
        outputs.append(
            db.rows(
                'SELECT * FROM "leo_assets"."person_identifier" '
                "ORDER BY identifier_type, identifier_value"
            )
        )
        db.dispose()
    assert outputs[0] == outputs[1]
