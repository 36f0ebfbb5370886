"""Risk controls at the terminal (风控): pure rules over what the journal says about recent sales.

    policy.py     the [risk] parameters (from the config or a parameter bundle), checked whole
    cardhash.py   the keyed hash that stands for a card (HMAC-SHA256 of the PAN): the PAN is never kept
    rules.py      each rule as a pure function: duplicate charge, exception file, velocity, amount alert,
                  refund total, split sale; `assess` runs them in order and says what the sale must do
    supervisor.py the supervisor PIN, kept only as a salted PBKDF2 hash

Nothing here touches the journal, a screen or the clock: the sale core asks, the driver reads the journal,
and these functions decide (docs/risk.md).
"""
