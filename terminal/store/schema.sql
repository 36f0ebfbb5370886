-- One row per transaction the terminal started; its history in txn_event; what must still reach the host in saf.
-- Always the newest layout; PRAGMA user_version says which, and migrations.py brings older files up to it.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txn (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,           -- purchase, refund, void
    proc_code    TEXT NOT NULL,
    amount       INTEGER NOT NULL,        -- minor units
    currency     TEXT NOT NULL,
    stan         INTEGER NOT NULL,
    local_time   TEXT NOT NULL,           -- ISO 8601, fields 12/13
    transmitted  TEXT NOT NULL DEFAULT '',-- field 7 of the first transmission
    entry_mode   TEXT NOT NULL,
    masked_pan   TEXT NOT NULL,
    psn          TEXT,
    batch        INTEGER NOT NULL,
    state        TEXT NOT NULL,
    response_code TEXT, auth_code TEXT, rrn TEXT,
    message      TEXT NOT NULL DEFAULT '',
    original_id  INTEGER REFERENCES txn(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    tsc          INTEGER                  -- 9F41 the card saw (NULL: magstripe, or older); last: added by migration 1
);
CREATE INDEX IF NOT EXISTS txn_state ON txn(state);
-- batch totals, batch upload and the batch listing (status, settle) read one batch: never a scan of every row
CREATE INDEX IF NOT EXISTS txn_batch ON txn(batch, proc_code, state);
-- finding a transaction (txn list/find, terminal/store/search.py): by local date and time, amount, card's last four
CREATE INDEX IF NOT EXISTS txn_local_time ON txn(local_time);
CREATE INDEX IF NOT EXISTS txn_amount ON txn(amount);
-- the customer's question (card ****0010, 12.34, yesterday): that card's rows of that day, in time order
CREATE INDEX IF NOT EXISTS txn_card ON txn(substr(masked_pan, -4), local_time);
CREATE TABLE IF NOT EXISTS txn_event (
    id INTEGER PRIMARY KEY,
    txn_id INTEGER NOT NULL REFERENCES txn(id),
    at TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS txn_event_txn ON txn_event(txn_id, id);  -- a transaction's history (txn show)
CREATE TABLE IF NOT EXISTS saf (
    id INTEGER PRIMARY KEY,                -- delivery order
    txn_id INTEGER NOT NULL REFERENCES txn(id),
    kind TEXT NOT NULL,                    -- reversal, advice
    stan INTEGER NOT NULL,                 -- kept by every repeat
    reason_code TEXT NOT NULL,             -- field 39 of the 0400/0220
    sealed BLOB,                           -- AES-GCM card data an advice needs; NULL once delivered
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,       -- unix time of the next attempt (backoff)
    state TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, needs_attention
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS saf_pending ON saf(state, id);
CREATE INDEX IF NOT EXISTS saf_txn ON saf(txn_id);
CREATE TABLE IF NOT EXISTS settlement (
    id INTEGER PRIMARY KEY,
    batch INTEGER NOT NULL,
    stan INTEGER NOT NULL,
    credits_count INTEGER NOT NULL, credits_amount INTEGER NOT NULL,
    debits_count INTEGER NOT NULL, debits_amount INTEGER NOT NULL,
    state TEXT NOT NULL,                   -- sending, closed, out_of_balance, failed
    response_code TEXT,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chip_event (     -- chip-first bookkeeping; card keys are HMACs, never PANs
    id INTEGER PRIMARY KEY,
    card_key TEXT,                          -- NULL: the chip failed before its PAN was read
    day TEXT NOT NULL,
    kind TEXT NOT NULL,                     -- chip_failure, fallback
    consumed INTEGER NOT NULL DEFAULT 0     -- a chip failure used up by the fallback it allowed
);
CREATE INDEX IF NOT EXISTS chip_event_day ON chip_event(day, kind);
CREATE INDEX IF NOT EXISTS settlement_batch ON settlement(batch);
-- Which address of the acquirer carried each message (0200, 0400/0401, 0220/0221): written riding the commit
-- that follows (a sale's outcome) or precedes (a store-and-forward attempt) the message; added by migration 2.
CREATE TABLE IF NOT EXISTS txn_message (
    id INTEGER PRIMARY KEY,
    txn_id INTEGER NOT NULL,
    mti TEXT NOT NULL,
    stan INTEGER NOT NULL,
    address TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS txn_message_txn ON txn_message(txn_id, id);
-- Risk controls (terminal/risk): a card is known only by its keyed hash (HMAC-SHA256 of the PAN under a key that
-- is not in this file); one row per transaction of that card, written in the transaction's own commit, erased
-- once older than the longest rule window. No REFERENCES: archiving a settled batch must not be held up by it.
CREATE TABLE IF NOT EXISTS risk_card (
    txn_id    INTEGER PRIMARY KEY,
    card_hash TEXT NOT NULL,
    at        TEXT NOT NULL                 -- UTC, as txn.created_at
);
CREATE INDEX IF NOT EXISTS risk_card_hash ON risk_card(card_hash, at);
CREATE INDEX IF NOT EXISTS risk_card_at ON risk_card(at);
-- Alerts (风险预警): every risk rule that fired (with its decision), key alerts, needs-attention entries and
-- journal faults. Kept until acknowledged; the acknowledgement is journaled here too. Added by migration 3.
CREATE TABLE IF NOT EXISTS alert (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,                -- risk, key, needs_attention, fault
    rule      TEXT NOT NULL DEFAULT '',     -- risk: the rule that fired
    decision  TEXT NOT NULL DEFAULT '',     -- risk: declined, confirmed, refused, supervisor_approved ...
    txn_id    INTEGER,
    stan      INTEGER,
    text      TEXT NOT NULL,                -- never card data
    acked_at  TEXT,
    acked_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS alert_open ON alert(acked_at, id);
CREATE INDEX IF NOT EXISTS txn_kind_time ON txn(kind, local_time);  -- the day's refunds (risk: refund_total)
-- What a chip or tap slip prints beyond the row (AID, label, 9F26/9F27, TVR, TSI, CVM): chip_record.py; migration 4
CREATE TABLE IF NOT EXISTS txn_chip (
    txn_id      INTEGER PRIMARY KEY REFERENCES txn(id),
    contactless INTEGER NOT NULL,
    aid         TEXT NOT NULL,
    label       TEXT NOT NULL,
    cid         TEXT NOT NULL,
    cryptogram  TEXT NOT NULL,
    tvr         TEXT NOT NULL,
    tsi         TEXT NOT NULL,
    cvm         TEXT NOT NULL,
    cvm_results TEXT NOT NULL
);
