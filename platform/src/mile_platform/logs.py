"""Logging set-up: one line per record, service name first, faststream kept quiet.

faststream logs every message at INFO by default, which halves throughput
(DESIGN §9); its logger is set to WARNING, and the subscriber wrapper logs the
failures itself, so no exception goes unseen.
"""

import logging


def configure_logging(service: str, level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s",
        force=True,
    )
    logging.getLogger("mile.faststream").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
