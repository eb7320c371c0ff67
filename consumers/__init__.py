"""Adapters between cardledger's event store and Kafka.

``relay`` publishes the store's events; ``base`` is the reusable consumer for
office systems; ``office_read_model`` and ``notifier`` are two such consumers.
``envelope`` is the message format all of them share.
"""
