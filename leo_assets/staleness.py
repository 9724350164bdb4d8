"""Dagster's stale status of an asset, through its one internal entry point.

Dagster 1.13 exposes staleness publicly only over GraphQL (``staleStatus``, ``staleCauses``);
the Python resolver is internal. It is wrapped here, and only here, so a Dagster upgrade that
moves it breaks one module (and its test), not the project.
"""

import dagster as dg
from dagster._core.definitions.data_version import CachingStaleStatusResolver
from dagster._core.loader import LoadingContextForTest


def stale_status(
    defs: dg.Definitions, instance: dg.DagsterInstance, key: dg.AssetKey
) -> tuple[str, list[tuple[str, str]]]:
    """('FRESH' | 'STALE' | 'MISSING', [(category, reason), ...]) for an unpartitioned asset."""
    resolver = CachingStaleStatusResolver(
        instance=instance,
        asset_graph=defs.resolve_asset_graph(),
        loading_context=LoadingContextForTest(instance),
    )
    status = resolver.get_status(key, None)
    causes = [(c.category.value, c.reason) for c in resolver.get_stale_causes(key, None)]
    return status.value, causes
