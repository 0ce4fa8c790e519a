"""``neatlogs push``: send what the spool holds to the endpoint now."""

from __future__ import annotations

import sys

__all__ = ["push"]


def push(local: bool = False) -> int:
    """Send every spooled span to the configured endpoint; return the exit code (0: all delivered).

    Other senders (programs starting, another ``push``) may share the spool: each file goes
    to exactly one of them. Non-zero, with one line on stderr, when something was not
    delivered: still in the spool (and why), or dropped (and why). With ``local``, write the
    local store's journal into ``traces.db`` instead.
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
    if spool.pending_spans() == 0:
        print(f"spool empty: nothing to send to {exporter.url}")
        return 0
    try:
        sent, pending = exporter.send_spool()
    finally:
        exporter.shutdown()
    print(f"sent {sent} spans to {exporter.url}; {pending} still in the spool")
    problems = []
    if pending:
        problems.append(f"{pending} spans still in the spool ({exporter.unsent_reason}): "
                        "run `neatlogs push` again when the endpoint takes them")
    if exporter.dropped:
        why = "; ".join(f"{reason}: {n}" for reason, n in exporter.dropped_why.items())
        problems.append(f"{exporter.dropped} spans dropped ({why}, see {spool.folder}/dropped.log)")
    if problems:
        print("neatlogs: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0
