"""``neatlogs push``: send what the spool holds to the endpoint now."""

from __future__ import annotations

import sys

__all__ = ["push"]


def push(local: bool = False) -> int:
    """Send every spooled span to the configured endpoint; return the exit code (0: spool empty).

    With ``local``, write the local store's journal into ``traces.db`` instead.
    """
    from neatlogs import config
    from neatlogs.export.otlp import OtlpHttpSpanExporter

    try:
        settings = config.load()
    except config.ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if local:
        from neatlogs.export.sqlite import replay_journal_report

        return replay_journal_report(settings.store_path)
    if not settings.endpoint:
        print("neatlogs: no endpoint configured (set NEATLOGS_ENDPOINT or endpoint in neatlogs.toml); "
              "nothing to push", file=sys.stderr)
        return 2
    exporter = OtlpHttpSpanExporter.for_settings(settings)
    spool = exporter.spool
    assert spool is not None  # for_settings always gives the exporter its spool
    before = spool.pending_spans()
    if before == 0:
        print(f"spool empty: nothing to send to {exporter.url}")
        return 0
    sent, pending = exporter.send_spool()
    dropped = spool.dropped_total()
    print(f"sent {sent} spans to {exporter.url}; {pending} still in the spool"
          + (f"; {dropped} dropped in all (see {spool.folder}/dropped.log)" if dropped else ""))
    if pending:
        print(f"neatlogs: {exporter.url} did not take the rest; try again when it is up", file=sys.stderr)
        return 1
    return 0
