"""The top of the layers: the `cardledger` command, which may use every adapter
(api, consumers) and the composition root (cardledger/wiring.py); nothing
imports it."""
