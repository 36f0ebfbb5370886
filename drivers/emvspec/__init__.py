"""EMV spec primitives that both sides of the card interface need: the terminal kernel (terminal/emv) and the
emulated cards and issuer (drivers/emulated/vcard, terminal/hostsim). Bytes in, bytes out, no flow, no I/O.

- `ber_tlv`: BER-TLV as EMV Book 3 Annex B uses it (ISO/IEC 8825-1 subset)
- `dol`: Data Object Lists, Book 3 section 5.4
- `crypto`: the symmetric and RSA primitives of Book 2 Annex A
- `errors`: `EmvError` (the root of every EMV error, the kernel's included) and the two the primitives raise

It sits below drivers/emulated and terminal/emv so that neither imports the other (setup.cfg, import-linter).
Nothing is imported here: `cryptography` loads only when `crypto` is used.
"""
